package dsimcli

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
)

func init() {
	register(&command{
		name:    "version",
		summary: "print dsim's module version, commit and Go version",
		help: `
Print the version of the dsim module this binary was built from, the
commit it was built at (when the build recorded it) and the Go version.`,
		flags: func(fs *flag.FlagSet) func(*cli, []string) int {
			return func(ctx *cli, args []string) int {
				if len(args) > 0 {
					fmt.Fprintln(ctx.stderr, ctx.p.T("dsim version takes no arguments (got %q)", args))
					return exitUsage
				}
				v := readVersion(debug.ReadBuildInfo)
				ew := &errWriter{w: ctx.stdout}
				fmt.Fprintf(ew, "dsim %s\n", v.module)
				fmt.Fprintln(ew, ctx.p.T("commit: %s", v.commit))
				fmt.Fprintln(ew, ctx.p.T("go: %s", v.goVersion))
				if ew.err != nil {
					fmt.Fprintf(ctx.stderr, "dsim version: %v\n", ew.err)
					return exitFailed
				}
				return exitOK
			}
		},
	})
}

type versionInfo struct{ module, commit, goVersion string }

// readVersion reads what the build recorded: the main module's version
// ("(devel)" for a build from a checkout), the VCS revision and whether
// the tree was modified, and the Go version.
func readVersion(read func() (*debug.BuildInfo, bool)) versionInfo {
	v := versionInfo{module: "(unknown)", commit: "(not recorded: built with -buildvcs=false or outside a repository)", goVersion: runtime.Version()}
	bi, ok := read()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.module = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.goVersion = bi.GoVersion
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		v.commit = rev
		if modified == "true" {
			v.commit += " (modified)"
		}
	}
	return v
}
