package dsimcli

import (
	"flag"
	"fmt"
	"os"

	"github.com/dsimlab/dsim/network/tcp"
)

// dsim secret new: a fresh shared secret for a live cluster.

func init() {
	register(&command{
		name:    "secret",
		args:    "new [FILE]",
		summary: "make a random shared secret for a live cluster",
		help: `
Print a fresh random secret (32 bytes from the operating system's random
source, in base64), or write it to FILE, readable by its owner only
(mode 0600; an existing FILE is never overwritten). Redirected into a file
(dsim secret new > FILE), that file is set to mode 0600 too.

Copy the same file to every node and start each with --secret-file FILE (or
name it in the cluster file as "secret_file"): every connection, peers,
clients and tools alike, must then prove it knows the secret.

Exit status: 0 when the secret was written, 1 if it could not be, 2 for a
usage error.`,
		flags: secretFlags,
	})
}

func secretFlags(fs *flag.FlagSet) func(*cli, []string) int {
	return func(ctx *cli, args []string) int {
		switch {
		case len(args) == 2 && args[0] == "new":
			if err := tcp.WriteSecretFile(args[1]); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim secret: %v\n", err)
				return exitFailed
			}
			fmt.Fprintf(ctx.stderr, "wrote a new secret to %s (mode 0600); copy it to every node\n", args[1])
			return exitOK
		case len(args) == 1 && args[0] == "new":
			// Redirected into a file: make it private, as if we had created it.
			if f, ok := ctx.stdout.(*os.File); ok {
				if info, err := f.Stat(); err == nil && info.Mode().IsRegular() {
					if err := f.Chmod(0o600); err != nil {
						fmt.Fprintf(ctx.stderr, "dsim secret: cannot make the output file private: %v\n", err)
						return exitFailed
					}
				}
			}
			if _, err := ctx.stdout.Write(tcp.NewSecret()); err != nil {
				fmt.Fprintf(ctx.stderr, "dsim secret: %v\n", err)
				return exitFailed
			}
			return exitOK
		}
		fmt.Fprintln(ctx.stderr, "usage: dsim secret new [FILE]")
		return exitUsage
	}
}
