package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/paysync/paysync/handlers"
	paysync "github.com/paysync/paysync/internal/app"
)

// merchantCreateCmd creates a merchant straight in the database from the
// same JSON the admin API takes, and prints it with its API key.
func merchantCreateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("merchant create", stderr)
	file := fs.String("file", "", "merchant JSON, as POST /admin/v1/merchants takes (- for stdin)")
	cfg, err := parseConfig(fs, args, getenv, "paysync.db")
	if err != nil {
		return err
	}
	if *file == "" {
		return errors.New("merchant create: --file is required")
	}
	body, err := readFileOrStdin(*file)
	if err != nil {
		return fmt.Errorf("merchant create: %w", err)
	}
	in, err := handlers.DecodeMerchant(body, cfg.AllowPrivateURLs)
	if err != nil {
		return fmt.Errorf("merchant create: %w", err)
	}
	ac, err := cfg.app(newLogger(stderr, slog.LevelInfo))
	if err != nil {
		return err
	}
	m, err := paysync.CreateMerchant(ctx, ac, in)
	if err != nil {
		return fmt.Errorf("merchant create: %w", err)
	}
	publicURL := or(cfg.PublicURL, "http://"+cfg.Addr)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(handlers.CreatedMerchantJSON(m, publicURL))
}

func readFileOrStdin(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	}
	return os.ReadFile(name)
}
