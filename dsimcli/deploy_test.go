package dsimcli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// The sweep recipes in deploy/sweep run for real here: each recipe's own
// command lines, with the environment its engine would give them, against
// dsim; merged, their shards print what the whole sweep prints.

const recipeSeeds = "1-40"

// wholeSweep is what `dsim sweep raft-election --seeds recipeSeeds` prints.
func wholeSweep(t *testing.T) string {
	t.Helper()
	status, out, stderr := dsim("sweep", "raft-election", "--seeds", recipeSeeds)
	require.Equal(t, exitOK, status, stderr)
	return out
}

// mergeDir merges every shard-*.jsonl file in dir.
func mergeDir(t *testing.T, dir string, shards int) string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "shard-*.jsonl"))
	require.NoError(t, err)
	require.Len(t, files, shards, "one file per shard")
	status, out, stderr := dsim(append([]string{"sweep", "merge"}, files...)...)
	require.Equal(t, exitOK, status, stderr)
	return out
}

// k8sJob is the part of a Kubernetes Job the recipe relies on.
type k8sJob struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Parallelism    int    `yaml:"parallelism"`
		Template       struct {
			Spec struct {
				RestartPolicy string `yaml:"restartPolicy"`
				Containers    []struct {
					Env []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					Command      []string `yaml:"command"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []struct {
					Name                  string `yaml:"name"`
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

func TestKubernetesIndexedJobRecipe(t *testing.T) {
	raw, err := os.ReadFile("../deploy/sweep/k8s-indexed-job.yaml")
	require.NoError(t, err)
	var job k8sJob
	var claims []string
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			require.ErrorContains(t, err, "EOF", "the YAML parses")
			break
		}
		b, err := yaml.Marshal(doc)
		require.NoError(t, err)
		switch doc["kind"] {
		case "Job":
			require.NoError(t, yaml.Unmarshal(b, &job))
		case "PersistentVolumeClaim":
			claims = append(claims, doc["metadata"].(map[string]any)["name"].(string))
		default:
			t.Fatalf("unexpected document of kind %v", doc["kind"])
		}
	}
	require.Equal(t, "Job", job.Kind)
	assert.Equal(t, "Indexed", job.Spec.CompletionMode, "the completion index picks the shard")
	assert.Equal(t, "Never", job.Spec.Template.Spec.RestartPolicy)
	require.Len(t, job.Spec.Template.Spec.Containers, 1)
	c := job.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	shards, err := strconv.Atoi(env["SHARDS"])
	require.NoError(t, err, "SHARDS is a number")
	assert.Equal(t, job.Spec.Completions, shards, "one completion per shard")
	assert.Equal(t, job.Spec.Completions, job.Spec.Parallelism)
	require.Len(t, c.VolumeMounts, 1)
	assert.Equal(t, "/results", c.VolumeMounts[0].MountPath)
	require.Len(t, job.Spec.Template.Spec.Volumes, 1)
	assert.Equal(t, c.VolumeMounts[0].Name, job.Spec.Template.Spec.Volumes[0].Name)
	assert.Equal(t, claims, []string{job.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName}, "the volume is the claim the file declares")
	require.Equal(t, []string{"/bin/sh", "-c"}, c.Command[:2])

	// Run each pod's command as the Job controller would, with the volume
	// at a temporary directory.
	bin, results := dsimOnPath(t), t.TempDir()
	script := strings.ReplaceAll(c.Command[2], "/results", results)
	for i := range job.Spec.Completions {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = pathWith(bin, "SCENARIO="+env["SCENARIO"], "SEEDS="+recipeSeeds, "SHARDS="+env["SHARDS"], fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "pod %d: %s", i, out)
		assert.Contains(t, string(out), fmt.Sprintf("shard %d/%d", i+1, shards))
	}
	require.Equal(t, "raft-election", env["SCENARIO"])
	assert.Equal(t, wholeSweep(t), mergeDir(t, results, shards))
}

func TestSlurmArrayRecipe(t *testing.T) {
	const path = "../deploy/sweep/slurm-array.sbatch"
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^#SBATCH --array=1-(\d+)$`).FindSubmatch(raw)
	require.NotNil(t, m, "the script declares an array 1-N")
	shards, _ := strconv.Atoi(string(m[1]))
	require.Greater(t, shards, 1)

	bin, results := dsimOnPath(t), t.TempDir()
	for k := 1; k <= shards; k++ {
		cmd := exec.Command("bash", path)
		cmd.Env = pathWith(bin, "SEEDS="+recipeSeeds, "RESULTS="+results,
			fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", k), fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", shards), "SLURM_CPUS_PER_TASK=1")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "task %d: %s", k, out)
	}
	assert.Equal(t, wholeSweep(t), mergeDir(t, results, shards))
}

// parallelStandIn runs `parallel [--halt X] [--jobs N] CMD...` as GNU
// parallel would, one input line at a time, replacing {} with the line.
const parallelStandIn = `#!/bin/bash
while [[ $1 == --* ]]; do shift 2; done
while read -r line; do
	args=()
	for a in "$@"; do args+=("${a//\{\}/$line}"); done
	"${args[@]}" || exit 1
done
`

func TestGNUParallelRecipe(t *testing.T) {
	bin, results := dsimOnPath(t), t.TempDir()
	if _, err := exec.LookPath("parallel"); err != nil {
		// Not installed here: run the recipe's command lines through a
		// stand-in, which checks the script (shard numbers, files, merge),
		// not GNU parallel itself.
		require.NoError(t, os.WriteFile(filepath.Join(bin, "parallel"), []byte(parallelStandIn), 0o755))
	}
	cmd := exec.Command("bash", "../deploy/sweep/parallel.sh")
	cmd.Env = pathWith(bin, "SEEDS="+recipeSeeds, "RESULTS="+results, "SHARDS=3", "JOBS=2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	// The shards' own lines come first, then the merged sweep.
	sc := bufio.NewScanner(&stdout)
	var shardLines int
	var merged strings.Builder
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "# raft-election shard ") {
			shardLines++
			continue
		}
		merged.WriteString(sc.Text() + "\n")
	}
	assert.Equal(t, 3, shardLines)
	assert.Equal(t, wholeSweep(t), merged.String())
}
