package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// Run runs the command line args (without the program name) until it
// ends or ctx does, reading settings through getenv. It returns the
// command's error; usage goes to stderr, output to stdout.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := run(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage was asked for, and printed
	}
	return err
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command")
	}
	switch args[0] {
	case "serve":
		return serveCmd(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		return demoCmd(ctx, args[1:], getenv, stdout, stderr)
	case "merchant":
		if len(args) < 2 || args[1] != "create" {
			return errors.New("usage: paysync merchant create --file merchant.json")
		}
		return merchantCreateCmd(ctx, args[2:], getenv, stdout, stderr)
	case "backup":
		return backupCmd(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

const usage = `usage:
  paysync serve [flags]                          run the service
  paysync demo [flags]                           run with sandbox providers and a demo merchant
  paysync merchant create --file merchant.json   create a merchant in the database
  paysync backup --db FILE --out COPY            copy the SQLite database while it serves
Run "paysync serve -h" for the settings.
`

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("paysync "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
