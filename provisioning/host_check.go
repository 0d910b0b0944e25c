package provisioning

import (
	"context"

	"archipel/apperr"
	"archipel/database"
)

// HasSecret reports whether an app password is stored for the host (it is
// never read back for display).
func (h *Host) HasSecret() bool { return h.hasSecret }

// CheckHost runs the connection test (Check) on a host with its stored
// URL, account and app password, which never leaves this package. Errors:
// not found for an unknown host, invalid ("prov.error.not_connected",
// "prov.error.secret") when no usable connection is stored, unavailable
// without a secret key.
func (hs *Hosts) CheckHost(ctx context.Context, hostID string) (CheckReport, error) {
	h, err := hs.Get(ctx, hostID)
	if err != nil {
		return CheckReport{}, err
	}
	c, err := hs.Client(ctx, h)
	if err != nil {
		return CheckReport{}, err
	}
	var sealed []byte
	if err := hs.db.QueryRowContext(ctx, `SELECT nextcloud_secret FROM hosts WHERE id = $1`, h.ID).Scan(&sealed); err != nil {
		return CheckReport{}, database.MapError(err, "provisioning: check host")
	}
	secret, err := hs.keyring.Open(sealed, "host:"+h.ID)
	if err != nil {
		return CheckReport{}, apperr.Wrap(apperr.Invalid, "prov.error.secret", "provisioning: check host", err)
	}
	r := Check(ctx, c, secret)
	if r.Offer.Known() {
		if err := hs.SaveOffer(ctx, h.ID, r.Offer); err != nil {
			return CheckReport{}, err
		}
	}
	return r, nil
}
