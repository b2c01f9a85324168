package app

import (
	"context"
	"errors"

	"github.com/paysync/paysync/store"
	"github.com/paysync/paysync/store/postgres"
	"github.com/paysync/paysync/store/sqlite"
)

// openStore opens the database named by cfg.DB (a postgres:// URL, or
// else a SQLite file path) and returns the store over it with its
// backend; onChange and onTouch (either may be nil) learn every committed
// checkout version and every checkout changed in place (store.Options).
// It is the wiring's only way to the database.
func openStore(ctx context.Context, cfg Config, onChange func(store.Checkout), onTouch func(string)) (*store.DB, store.Backend, error) {
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	db, err := store.New(b, store.Options{MasterKey: cfg.MasterKey, Now: cfg.Now, OnChange: onChange, OnTouch: onTouch, Unmatched: cfg.Unmatched})
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return db, b, nil
}

func openBackend(ctx context.Context, cfg Config) (store.Backend, error) {
	if postgres.IsURL(cfg.DB) {
		return postgres.Open(ctx, cfg.DB, postgres.Options{Now: cfg.Now})
	}
	return sqlite.Open(ctx, cfg.DB, sqlite.Options{Now: cfg.Now})
}

// CreateMerchant creates a merchant straight in cfg's database, without
// starting the service. It fails without cfg.MasterKey (the merchant's
// secrets must be sealed) and with the store's errors.
func CreateMerchant(ctx context.Context, cfg Config, in store.NewMerchant) (store.CreatedMerchant, error) {
	if cfg.MasterKey == nil {
		return store.CreatedMerchant{}, errors.New("--master-key is required to seal the merchant's secrets")
	}
	db, _, err := openStore(ctx, cfg, nil, nil)
	if err != nil {
		return store.CreatedMerchant{}, err
	}
	defer db.Close()
	if err := db.CheckMasterKey(ctx); err != nil {
		return store.CreatedMerchant{}, err
	}
	return db.CreateMerchant(ctx, in)
}
