// Command paysync tells a merchant the true state of every payment
// checkout, however unreliable the provider's callbacks are.
//
//	paysync serve                         run the service
//	paysync demo                          run it with sandbox providers and a demo merchant
//	paysync merchant create --file m.json create a merchant in the database
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/paysync/paysync/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !cli.Reported(err) { // serve and demo log theirs as a JSON line, like the rest of their log
			fmt.Fprintln(os.Stderr, "paysync:", err)
		}
		os.Exit(1)
	}
}
