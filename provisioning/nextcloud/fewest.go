package nextcloud

import "context"

// The calls of this file let the engine make one request where two were
// made: an account created with its quota, an upload that answers with the
// new file's ETag. They are the names the engine uses for CreateUser (which
// sends everything in one call) and Put.

// CreateUserWithQuota is CreateUser: the quota and groups go with the
// creating request. ErrAlreadyExists when the id is taken. ErrQuota when
// the host refused the quota (102 on 27, 101 on 34, "Invalid quota value"):
// the account then exists without its welcome mail, and the error's Op
// says so.
func (c *Client) CreateUserWithQuota(ctx context.Context, u NewUser) error {
	return c.CreateUser(ctx, u)
}

// UploadETag writes content to the file at p as Upload does and returns the
// ETag the server gave in its answer (without quotes; empty if it sent
// none), so that no PROPFIND is needed after an upload.
func (c *Client) UploadETag(ctx context.Context, user, p string, content []byte) (string, error) {
	up, err := c.Put(ctx, user, p, content)
	return up.ETag, err
}
