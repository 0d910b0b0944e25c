package provisioning

import "strings"

// normalizeID is how ids are compared: Nextcloud treats them case-insensitively.
func normalizeID(id string) string { return strings.ToLower(id) }
