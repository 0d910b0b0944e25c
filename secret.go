package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"archipel/provisioning"
)

// keyring returns the keyring that seals hosts' app passwords. Without
// ARCHIPEL_SECRET_KEY, a single SQLite instance keeps a generated key in its
// data directory; PostgreSQL (several replicas) requires the setting.
func (c *Config) keyring(logger *slog.Logger) (*provisioning.Keyring, error) {
	raw := c.SecretKey
	if raw == "" {
		if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
			return nil, errors.New("ARCHIPEL_SECRET_KEY (or ARCHIPEL_SECRET_KEY_FILE) is required with PostgreSQL: every replica needs the same key")
		}
		path := filepath.Join(c.DataDir, "secret.key")
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			raw = string(b)
		case errors.Is(err, os.ErrNotExist):
			if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
				return nil, err
			}
			raw = provisioning.NewKey()
			if err := os.WriteFile(path, []byte(raw+"\n"), 0o600); err != nil {
				return nil, fmt.Errorf("write %s: %w", path, err)
			}
			logger.Warn("generated a secret key in the data directory; keep it with the database, or set ARCHIPEL_SECRET_KEY",
				slog.String("path", path))
		default:
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	key, err := provisioning.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("ARCHIPEL_SECRET_KEY: %w", err)
	}
	return provisioning.NewKeyring(key)
}
