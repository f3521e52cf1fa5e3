// Package deploy holds the recipes for running dsim on real machines: a
// systemd unit, a five-Pi cluster file, and a Kubernetes (k3s) StatefulSet.
// Its tests check that they say what the README says they do.
package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/dsimlab/dsim/livecatalog"
	"github.com/dsimlab/dsim/network/tcp"
)

func TestFivePiClusterFileLoads(t *testing.T) {
	c, err := tcp.LoadCluster("cluster-5pi.json")
	require.NoError(t, err)
	require.Len(t, c.Members, 5)
	proto, err := livecatalog.ProtocolOf(c)
	require.NoError(t, err)
	for _, m := range c.Members {
		_, err := proto.New(tcp.NodeConfig{ID: m.ID, Cluster: c})
		require.NoError(t, err, "%s's node builds from the file", m.ID)
	}
}

// unit reads a systemd unit into section -> key -> values.
func unit(t *testing.T, path string) map[string]map[string][]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			section = strings.Trim(line, "[]")
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok, "%q", line)
			out[section][k] = append(out[section][k], v)
		}
	}
	return out
}

func TestSystemdUnitRestartsOnFailureWithDataDirAndSecret(t *testing.T) {
	u := unit(t, "dsim@.service")
	s := u["Service"]
	assert.Equal(t, []string{"on-failure"}, s["Restart"])
	require.Len(t, s["ExecStart"], 1)
	exec := s["ExecStart"][0]
	for _, want := range []string{"/usr/local/bin/dsim node ", "--cluster /etc/dsim/cluster.json", "--id %i", "--data ${STATE_DIRECTORY}", "--secret-file ${CREDENTIALS_DIRECTORY}/secret"} {
		assert.Contains(t, exec, want)
	}
	assert.Equal(t, []string{"dsim/%i"}, s["StateDirectory"], "the data dir, /var/lib/dsim/ID")
	assert.Equal(t, []string{"secret:/etc/dsim/secret"}, s["LoadCredential"])
	assert.Equal(t, []string{"multi-user.target"}, u["Install"]["WantedBy"])
}

// k8s is the part of each manifest the test reads.
type k8s struct {
	Kind     string
	Metadata struct{ Name string }
	Data     map[string]string
	Spec     struct {
		ClusterIP string `yaml:"clusterIP"`
		Selector  map[string]any
		Ports     []struct {
			Name       string
			Port       int
			TargetPort int `yaml:"targetPort"`
		}
		ServiceName string `yaml:"serviceName"`
		Replicas    int
		Template    struct {
			Metadata struct{ Labels map[string]string }
			Spec     struct {
				Containers []struct {
					Args []string
					Env  []struct {
						Name      string
						ValueFrom struct {
							FieldRef struct {
								FieldPath string `yaml:"fieldPath"`
							} `yaml:"fieldRef"`
						} `yaml:"valueFrom"`
					}
					Ports []struct {
						ContainerPort int `yaml:"containerPort"`
					}
					VolumeMounts []struct {
						Name      string
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				}
				Volumes []struct {
					Name      string
					ConfigMap struct{ Name string } `yaml:"configMap"`
					Secret    struct {
						SecretName string `yaml:"secretName"`
					}
				}
			}
		}
		VolumeClaimTemplates []struct{ Metadata struct{ Name string } } `yaml:"volumeClaimTemplates"`
	}
}

// The StatefulSet, its headless Service and the cluster file agree: pod
// i is member dsim-i at dsim-i.<service>.<namespace>.svc.cluster.local on
// the Service's port, each pod runs --id <its name>, keeps its data on
// its own volume and reads the cluster file and the secret.
func TestKubernetesStatefulSetMatchesItsClusterFile(t *testing.T) {
	b, err := os.ReadFile("k8s/dsim.yaml")
	require.NoError(t, err)
	dec := yaml.NewDecoder(bytes.NewReader(b))
	byKind := map[string]k8s{}
	for {
		var m k8s
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		byKind[m.Kind] = m
	}
	svc, sts, cm := byKind["Service"], byKind["StatefulSet"], byKind["ConfigMap"]
	require.Equal(t, "None", svc.Spec.ClusterIP, "a headless Service: one DNS name per pod")
	require.Equal(t, svc.Metadata.Name, sts.Spec.ServiceName, "the StatefulSet names its Service")
	for k, v := range svc.Spec.Selector {
		assert.Equal(t, v, sts.Spec.Template.Metadata.Labels[k], "the Service selects the pods")
	}
	require.Len(t, svc.Spec.Ports, 1)
	port := svc.Spec.Ports[0].Port

	cluster, err := tcp.ParseCluster([]byte(cm.Data["cluster.json"]))
	require.NoError(t, err)
	require.Len(t, cluster.Members, sts.Spec.Replicas, "one member per replica")
	for i, m := range cluster.Members {
		pod := fmt.Sprintf("%s-%d", sts.Metadata.Name, i)
		assert.Equal(t, pod, string(m.ID), "member %d is pod %s", i, pod)
		assert.Equal(t, fmt.Sprintf("%s.%s.dsim.svc.cluster.local:%d", pod, svc.Metadata.Name, port), m.Addr)
	}

	require.Len(t, sts.Spec.Template.Spec.Containers, 1)
	c := sts.Spec.Template.Spec.Containers[0]
	assert.Equal(t, "node", c.Args[0])
	assert.Contains(t, c.Args, "--id=$(POD_NAME)")
	assert.Contains(t, c.Args, fmt.Sprintf("--listen=:%d", port))
	require.Len(t, c.Env, 1)
	assert.Equal(t, "POD_NAME", c.Env[0].Name)
	assert.Equal(t, "metadata.name", c.Env[0].ValueFrom.FieldRef.FieldPath)
	require.Len(t, c.Ports, 1)
	assert.Equal(t, port, c.Ports[0].ContainerPort)
	assert.Equal(t, port, svc.Spec.Ports[0].TargetPort)

	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m.MountPath
	}
	require.Len(t, sts.Spec.VolumeClaimTemplates, 1)
	assert.Contains(t, c.Args, "--data="+mounts[sts.Spec.VolumeClaimTemplates[0].Metadata.Name], "the data dir is the pod's own volume")
	volumes := map[string]string{}
	for _, v := range sts.Spec.Template.Spec.Volumes {
		volumes[v.Name] = v.ConfigMap.Name + v.Secret.SecretName
	}
	assert.Equal(t, cm.Metadata.Name, volumes["cluster"])
	assert.Contains(t, c.Args, "--cluster="+mounts["cluster"]+"/cluster.json")
	assert.Equal(t, "dsim-secret", volumes["secret"])
	assert.Contains(t, c.Args, "--secret-file="+mounts["secret"]+"/secret")
}
