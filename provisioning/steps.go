package provisioning

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"archipel/apperr"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning/nextcloud"
)

// AccessGroup is the host-wide group through which the provisioning account
// reaches a new group folder while filling it; it is removed from the
// folder at the end, so the account keeps no lasting access.
const AccessGroup = "archipel-provisioning"

// maxTries bounds how many ids are tried when the wanted ones are taken.
const maxTries = 20

// run is one execution of a job's steps against a host.
type run struct {
	e    *Engine
	j    *Job
	h    *Host
	c    *nextcloud.Client
	plan Plan
	st   *State
}

func (e *Engine) newRun(ctx context.Context, j *Job) (*run, error) {
	h, err := e.Hosts.Get(ctx, j.HostID)
	if err != nil {
		return nil, err
	}
	c, err := e.Hosts.Client(ctx, h)
	if err != nil {
		return nil, err
	}
	return &run{e: e, j: j, h: h, c: c, plan: j.Plan, st: &j.State}, nil
}

// call bounds one Nextcloud call in time.
func (r *run) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, r.e.opts.CallTimeout)
}

// do makes one Nextcloud call bounded by CallTimeout. Every call gets its
// own bound (the host's pacing included): a step making several calls must
// not fail because their sum exceeds one call's bound.
func (r *run) do(ctx context.Context, call func(context.Context) error) error {
	cctx, cancel := r.call(ctx)
	defer cancel()
	return call(cctx)
}

// save records the state before an action whose outcome depends on it.
func (r *run) save(ctx context.Context) error { return r.e.Jobs.saveState(ctx, r.j, r.e.opts.Worker) }

func (r *run) step(ctx context.Context, name string) (string, error) {
	switch name {
	case StepPreflight:
		return r.preflight(ctx)
	case StepGroup:
		return r.group(ctx)
	case StepAccount:
		return r.account(ctx)
	case StepMembership:
		return r.membership(ctx)
	case StepSpace:
		return r.space(ctx)
	case StepTree:
		return r.tree(ctx)
	case StepDocuments:
		return r.documents(ctx)
	case StepRevoke:
		return r.revoke(ctx)
	case StepRecord:
		return r.record(ctx)
	}
	return "", fmt.Errorf("provisioning: unknown step %q", name)
}

func permanent(key, op string) error { return apperr.New(apperr.Invalid, key, op) }

// preflight reads the host's version and abilities, and checks that the
// provisioning account is an administrator.
func (r *run) preflight(ctx context.Context) (string, error) {
	var status nextcloud.Status
	err := r.do(ctx, func(ctx context.Context) (err error) {
		status, err = r.c.Status(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	if !status.Installed {
		return "", permanent("prov.error.not_installed", "provisioning: preflight")
	}
	if status.Maintenance {
		return "", &nextcloud.Error{Op: "status", Kind: nextcloud.ErrUnavailable, Maintenance: true}
	}
	var caps nextcloud.Capabilities
	err = r.do(ctx, func(ctx context.Context) (err error) {
		caps, err = r.c.Capabilities(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	var me nextcloud.User
	err = r.do(ctx, func(ctx context.Context) (err error) {
		me, err = r.c.CurrentUser(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	if !me.Admin {
		return "", permanent("prov.error.not_admin", "provisioning: preflight")
	}
	if !caps.GroupFolders && !(caps.FilesSharingAPI && caps.GroupSharing) {
		return "", permanent("prov.error.no_sharing", "provisioning: preflight")
	}
	r.st.Version, r.st.GroupFolders, r.st.Admin = caps.VersionString, caps.GroupFolders, me.ID
	space := "share"
	if caps.GroupFolders {
		space = "groupfolder"
	}
	return fmt.Sprintf("Nextcloud %s, %s", status.VersionString, space), nil
}

// group ensures the association's group (display name = its name).
func (r *run) group(ctx context.Context) (string, error) {
	outcome, err := r.ensureNamed(ctx, named{
		kind: "group", id: &r.st.GroupID, try: &r.st.GroupTry, created: &r.st.GroupCreated,
		candidate: func(n int) string { return GroupIDCandidate(r.plan.AssociationName, n) },
		look: func(ctx context.Context) (bool, bool, error) {
			var g nextcloud.Group
			err := r.do(ctx, func(ctx context.Context) (err error) { g, err = r.c.GetGroup(ctx, r.st.GroupID); return err })
			// Between our look (absent) and our request, nobody else took
			// this id: a group we asked for that has no member is ours.
			return err == nil, err == nil && len(g.Members) == 0, err
		},
		create: func(ctx context.Context) error { return r.c.CreateGroup(ctx, r.st.GroupID, r.plan.AssociationName) },
	})
	return "group " + r.st.GroupID + outcome.detail(), err
}

// named is a host object the job names itself (a group, an account): ids
// are tried in turn, reserved in the database, and one that exists on the
// host without this job having made it is never adopted.
type named struct {
	kind      string // "group" or "user", as reserved
	id        *string
	try       *int
	created   *bool
	candidate func(n int) string
	// look reports whether the object exists and whether it carries the
	// marks of this job's creation, for one whose answer was lost.
	look   func(ctx context.Context) (exists, ours bool, err error)
	create func(ctx context.Context) error
}

// outcome says how a named object came to be the job's.
type outcome int

const (
	existed outcome = iota // made by this job on an earlier run
	adopted                // asked for, answer lost (crash, timeout), recognised
	made                   // created now
)

func (o outcome) detail() string {
	switch o {
	case adopted:
		return " (adopted after an interrupted creation)"
	case made:
		return " created"
	}
	return ""
}

// ensureNamed makes sure the job owns an object of its own choosing.
func (r *run) ensureNamed(ctx context.Context, o named) (outcome, error) {
	for {
		if *o.id == "" {
			id, err := r.reserveNext(ctx, o.kind, o.try, o.candidate)
			if err != nil {
				return 0, err
			}
			*o.id, *o.created = id, false
			if err := r.save(ctx); err != nil {
				return 0, err
			}
		}
		exists, ours, err := o.look(ctx)
		switch {
		case exists && *o.created:
			return existed, nil
		case exists && ours && r.attempted(o.kind+":"+*o.id):
			*o.created = true
			return adopted, r.save(ctx)
		case exists:
			// Somebody else's: never adopted; try the next id.
			*o.id = ""
			if err := r.save(ctx); err != nil {
				return 0, err
			}
		case errors.Is(err, nextcloud.ErrNotFound):
			if err := r.markAttempt(ctx, o.kind+":"+*o.id); err != nil {
				return 0, err
			}
			err := r.do(ctx, o.create)
			if errors.Is(err, nextcloud.ErrAlreadyExists) {
				// Someone created it between our look and our request.
				*o.id = ""
				if err := r.save(ctx); err != nil {
					return 0, err
				}
				continue
			}
			if err != nil {
				return 0, err
			}
			*o.created = true
			return made, r.save(ctx)
		default:
			return 0, err
		}
	}
}

// reserveNext reserves, for this request on this host, the next candidate
// id of a kind that no other request holds.
func (r *run) reserveNext(ctx context.Context, kind string, try *int, candidate func(int) string) (string, error) {
	for *try < maxTries {
		*try++
		id := candidate(*try)
		ok, err := r.e.Jobs.reserve(ctx, r.h.ID, kind, id, r.plan.ApplicationID)
		if err != nil {
			return "", err
		}
		if ok {
			return id, nil
		}
	}
	return "", permanent("prov.error.collision", "provisioning: "+kind+" id")
}

// attempted reports whether this job asked the host to create key (such as
// "group:asso"), so that a resumed job recognises what it made even when the
// answer was lost.
func (r *run) attempted(key string) bool { return r.st.Asked[key] }

// markAttempt records, before asking the host, that the job creates key.
func (r *run) markAttempt(ctx context.Context, key string) error {
	if r.st.Asked == nil {
		r.st.Asked = map[string]bool{}
	}
	r.st.Asked[key] = true
	return r.save(ctx)
}

// account ensures the association's admin account, created with an e-mail
// and no password: Nextcloud mails its own set-password link, and Archipel
// never sees a password.
func (r *run) account(ctx context.Context) (string, error) {
	quota := strconv.FormatInt(r.plan.QuotaBytes, 10)
	var u nextcloud.User
	outcome, err := r.ensureNamed(ctx, named{
		kind: "user", id: &r.st.UserID, try: &r.st.UserTry, created: &r.st.UserCreated,
		candidate: func(n int) string { return UserIDCandidate(r.plan.ContactName, r.st.GroupID, n) },
		look: func(ctx context.Context) (bool, bool, error) {
			err := r.do(ctx, func(ctx context.Context) (err error) { u, err = r.c.GetUser(ctx, r.st.UserID); return err })
			return err == nil, err == nil && strings.EqualFold(u.Email, r.plan.ContactEmail) && u.DisplayName == r.plan.ContactName, err
		},
		create: func(ctx context.Context) error {
			return r.c.CreateUser(ctx, nextcloud.NewUser{
				ID: r.st.UserID, Email: r.plan.ContactEmail, DisplayName: r.plan.ContactName,
				Language: r.plan.Language, Quota: quota, Groups: []string{r.st.GroupID},
			})
		},
	})
	if err != nil {
		return "", err
	}
	if outcome == made {
		return "account " + r.st.UserID + " created, welcome e-mail sent by Nextcloud", nil
	}
	if err := r.alignUser(ctx, u, quota); err != nil {
		return "", err
	}
	return "account " + r.st.UserID + outcome.detail(), nil
}

// alignUser corrects what differs from the plan on an account we made.
func (r *run) alignUser(ctx context.Context, u nextcloud.User, quota string) error {
	edits := []struct {
		field        nextcloud.UserField
		value        string
		wrongAlready bool
	}{
		{nextcloud.FieldEmail, r.plan.ContactEmail, !strings.EqualFold(u.Email, r.plan.ContactEmail)},
		{nextcloud.FieldDisplayName, r.plan.ContactName, u.DisplayName != r.plan.ContactName},
		{nextcloud.FieldQuota, quota, u.Quota.Unlimited || u.Quota.Limit != r.plan.QuotaBytes},
	}
	for _, ed := range edits {
		if !ed.wrongAlready {
			continue
		}
		cctx, cancel := r.call(ctx)
		err := r.c.EditUser(cctx, r.st.UserID, ed.field, ed.value)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}

// membership ensures the account is in the association's group, and only
// in it among associations' groups, and administers it.
func (r *run) membership(ctx context.Context) (string, error) {
	cctx, cancel := r.call(ctx)
	u, err := r.c.GetUser(cctx, r.st.UserID)
	cancel()
	if err != nil {
		return "", err
	}
	for _, g := range u.Groups {
		if strings.EqualFold(g, r.st.GroupID) {
			continue
		}
		owner, err := r.e.Jobs.ownerOf(ctx, r.h.ID, "group", g)
		if err != nil {
			return "", err
		}
		if owner != "" && owner != r.plan.ApplicationID {
			return "", permanent("prov.error.account_elsewhere", "provisioning: membership")
		}
	}
	if !containsFold(u.Groups, r.st.GroupID) {
		cctx, cancel := r.call(ctx)
		err := r.c.AddToGroup(cctx, r.st.UserID, r.st.GroupID)
		cancel()
		if err != nil {
			return "", err
		}
	}
	if !containsFold(u.SubadminGroups, r.st.GroupID) {
		cctx, cancel := r.call(ctx)
		err := r.c.PromoteSubadmin(cctx, r.st.UserID, r.st.GroupID)
		cancel()
		if err != nil {
			return "", err
		}
	}
	return "member and group administrator of " + r.st.GroupID, nil
}

func containsFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, v) })
}

// space ensures the group's shared space: a group folder with the plan's
// quota when the host has the app, else a folder shared with the group.
func (r *run) space(ctx context.Context) (string, error) {
	if r.st.GroupFolders {
		return r.groupFolder(ctx)
	}
	return r.sharedFolder(ctx)
}

func (r *run) nextFolder(ctx context.Context) error {
	name, err := r.reserveNext(ctx, "folder", &r.st.FolderTry, func(n int) string { return FolderName(r.plan.AssociationName, n) })
	if err != nil {
		return err
	}
	r.st.Folder, r.st.FolderID, r.st.FolderCreated = name, 0, false
	return r.save(ctx)
}

func (r *run) groupFolder(ctx context.Context) (string, error) {
	if err := r.ensureAccessGroup(ctx); err != nil {
		return "", err
	}
	var folder nextcloud.GroupFolder
	for r.st.FolderID == 0 {
		if r.st.Folder == "" {
			if err := r.nextFolder(ctx); err != nil {
				return "", err
			}
		}
		cctx, cancel := r.call(ctx)
		all, err := r.c.GroupFolders(cctx)
		cancel()
		if err != nil {
			return "", err
		}
		var same []nextcloud.GroupFolder
		for _, f := range all {
			if strings.EqualFold(f.MountPoint, r.st.Folder) {
				same = append(same, f)
			}
		}
		if len(same) > 0 {
			f := same[0]
			if r.attempted("folder:"+r.st.Folder) && onlyGroups(f, r.st.GroupID, AccessGroup) {
				r.st.FolderID, r.st.FolderCreated = f.ID, true
				if err := r.save(ctx); err != nil {
					return "", err
				}
				break
			}
			r.st.Folder = ""
			if err := r.save(ctx); err != nil {
				return "", err
			}
			continue
		}
		if err := r.markAttempt(ctx, "folder:"+r.st.Folder); err != nil {
			return "", err
		}
		cctx, cancel = r.call(ctx)
		id, err := r.c.CreateGroupFolder(cctx, r.st.Folder)
		cancel()
		if err != nil {
			return "", err
		}
		r.st.FolderID, r.st.FolderCreated = id, true
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	err := r.do(ctx, func(ctx context.Context) (err error) {
		folder, err = r.c.GroupFolder(ctx, r.st.FolderID)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, g := range []string{r.st.GroupID, AccessGroup} {
		perms, ok := folder.Groups[g]
		if !ok {
			if err := r.do(ctx, func(ctx context.Context) error { return r.c.AddGroupToFolder(ctx, r.st.FolderID, g) }); err != nil {
				return "", err
			}
			perms = nextcloud.PermAll // what the app grants a group it adds
		}
		if perms != nextcloud.PermAll {
			if err := r.do(ctx, func(ctx context.Context) error {
				return r.c.SetFolderPermissions(ctx, r.st.FolderID, g, nextcloud.PermAll)
			}); err != nil {
				return "", err
			}
		}
	}
	if folder.Quota != r.plan.QuotaBytes {
		if err := r.do(ctx, func(ctx context.Context) error { return r.c.SetFolderQuota(ctx, r.st.FolderID, r.plan.QuotaBytes) }); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("group folder %q (%d)", r.st.Folder, r.st.FolderID), nil
}

// onlyGroups reports whether a folder is reachable by no other group than
// the given ones.
func onlyGroups(f nextcloud.GroupFolder, groups ...string) bool {
	for g := range f.Groups {
		if !containsFold(groups, g) {
			return false
		}
	}
	return true
}

// ensureAccessGroup makes sure the provisioning account is in AccessGroup.
func (r *run) ensureAccessGroup(ctx context.Context) error {
	err := r.do(ctx, func(ctx context.Context) error { return r.c.CreateGroup(ctx, AccessGroup, "Archipel (provisioning)") })
	if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
		return err
	}
	var me nextcloud.User
	err = r.do(ctx, func(ctx context.Context) (err error) {
		me, err = r.c.GetUser(ctx, r.st.Admin)
		return err
	})
	if err != nil {
		return err
	}
	if !containsFold(me.Groups, AccessGroup) {
		return r.do(ctx, func(ctx context.Context) error { return r.c.AddToGroup(ctx, r.st.Admin, AccessGroup) })
	}
	return nil
}

// sharedFolder is the space of hosts without group folders: a folder of the
// provisioning account shared with the group. The account owns it, so it
// keeps access: the README says so to hosts.
func (r *run) sharedFolder(ctx context.Context) (string, error) {
	for !r.st.FolderCreated {
		if r.st.Folder == "" {
			if err := r.nextFolder(ctx); err != nil {
				return "", err
			}
		}
		cctx, cancel := r.call(ctx)
		_, err := r.c.Stat(cctx, r.st.Admin, "/"+r.st.Folder)
		cancel()
		switch {
		case err == nil && r.attempted("folder:"+r.st.Folder):
			r.st.FolderCreated = true
		case err == nil:
			r.st.Folder = ""
		case errors.Is(err, nextcloud.ErrNotFound):
			if err := r.markAttempt(ctx, "folder:"+r.st.Folder); err != nil {
				return "", err
			}
			cctx, cancel := r.call(ctx)
			err := r.c.Mkdir(cctx, r.st.Admin, "/"+r.st.Folder)
			cancel()
			if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
				return "", err
			}
			if errors.Is(err, nextcloud.ErrAlreadyExists) {
				r.st.Folder = ""
			} else {
				r.st.FolderCreated = true
			}
		default:
			return "", err
		}
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	var shares []nextcloud.Share
	err := r.do(ctx, func(ctx context.Context) (err error) {
		shares, err = r.c.Shares(ctx, "/"+r.st.Folder)
		return err
	})
	if err != nil {
		return "", err
	}
	for _, s := range shares {
		if strings.EqualFold(s.ShareWith, r.st.GroupID) {
			r.st.ShareID = s.ID
			return fmt.Sprintf("folder %q shared with %s", r.st.Folder, r.st.GroupID), r.save(ctx)
		}
	}
	var s nextcloud.Share
	err = r.do(ctx, func(ctx context.Context) (err error) {
		s, err = r.c.CreateGroupShare(ctx, "/"+r.st.Folder, r.st.GroupID, nextcloud.PermAll)
		return err
	})
	if err != nil {
		return "", err
	}
	r.st.ShareID = s.ID
	return fmt.Sprintf("folder %q shared with %s", r.st.Folder, r.st.GroupID), r.save(ctx)
}

// tree ensures the host's folder template inside the shared space.
func (r *run) tree(ctx context.Context) (string, error) {
	for _, f := range r.plan.Folders {
		cctx, cancel := r.call(ctx)
		err := r.c.Mkdir(cctx, r.st.Admin, path.Join("/", r.st.Folder, f))
		cancel()
		if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
			return "", err
		}
	}
	return fmt.Sprintf("%d folders", len(r.plan.Folders)), nil
}

// documents places the welcome documents, never overwriting one the
// association changed: a document is uploaded only where none is, and its
// ETag remembered.
func (r *run) documents(ctx context.Context) (string, error) {
	placed := 0
	for _, d := range r.plan.Documents {
		content, err := renderDocument(d, r.plan, r.h, r.st)
		if err != nil {
			return "", permanent("prov.error.template", "provisioning: documents")
		}
		p := path.Join("/", r.st.Folder, d.Name)
		cctx, cancel := r.call(ctx)
		info, err := r.c.Stat(cctx, r.st.Admin, p)
		cancel()
		switch {
		case err == nil:
			if _, known := r.st.Documents[d.Name]; known {
				continue // ours, possibly changed since: left alone
			}
			// There before any record: ours if identical (an upload whose
			// answer was lost), else the association's: kept either way.
			cctx, cancel := r.call(ctx)
			got, err := r.c.Download(cctx, r.st.Admin, p)
			cancel()
			if err != nil {
				return "", err
			}
			if r.st.Documents == nil {
				r.st.Documents = map[string]string{}
			}
			r.st.Documents[d.Name] = "kept"
			if bytes.Equal(got, content) {
				r.st.Documents[d.Name] = info.ETag
			}
		case errors.Is(err, nextcloud.ErrNotFound):
			if _, known := r.st.Documents[d.Name]; known {
				continue // placed by this job, deleted since by the association
			}
			err := r.do(ctx, func(ctx context.Context) error { return r.c.Upload(ctx, r.st.Admin, p, content) })
			if err == nil {
				err = r.do(ctx, func(ctx context.Context) (err error) {
					info, err = r.c.Stat(ctx, r.st.Admin, p)
					return err
				})
			}
			if err != nil {
				return "", err
			}
			if r.st.Documents == nil {
				r.st.Documents = map[string]string{}
			}
			r.st.Documents[d.Name] = info.ETag
			placed++
		default:
			return "", err
		}
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d documents placed", placed), nil
}

// revoke removes the provisioning account's access to the group folder.
func (r *run) revoke(ctx context.Context) (string, error) {
	if !r.st.GroupFolders {
		return "no group folder: the provisioning account owns the shared folder", nil
	}
	var folder nextcloud.GroupFolder
	err := r.do(ctx, func(ctx context.Context) (err error) {
		folder, err = r.c.GroupFolder(ctx, r.st.FolderID)
		return err
	})
	if err != nil {
		return "", err
	}
	if _, ok := folder.Groups[AccessGroup]; ok {
		err := r.do(ctx, func(ctx context.Context) error { return r.c.RemoveGroupFromFolder(ctx, r.st.FolderID, AccessGroup) })
		if err != nil && !errors.Is(err, nextcloud.ErrNotFound) {
			return "", err
		}
	}
	return "provisioning access removed", nil
}

// record writes the workspace's facts, marks the request ready and tells
// the association how to begin.
func (r *run) record(ctx context.Context) (string, error) {
	loginURL := strings.TrimRight(r.h.NextcloudURL, "/") + "/index.php/login"
	now := r.e.Jobs.now()
	err := r.e.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (application_id) DO NOTHING`,
			r.plan.ApplicationID, r.h.ID, loginURL, r.st.UserID, r.st.GroupID, r.st.Folder, r.plan.QuotaBytes, now)
		return err
	})
	if err != nil {
		return "", apperr.Wrap(apperr.Unavailable, "prov.error.internal", "provisioning: record", err)
	}
	app, err := r.e.apps.Get(ctx, r.plan.ApplicationID)
	if err != nil {
		return "", err
	}
	if app.Status != onboarding.StatusReady {
		if err := r.e.apps.Transition(ctx, nil, app, onboarding.StatusReady, "", ""); err != nil {
			return "", err
		}
	}
	if !r.st.Mailed && r.e.postman != nil {
		err := r.e.postman.Send(ctx, mail.Letter{
			Lang: r.plan.Language, Template: "workspace_ready", To: r.plan.ContactEmail, ToName: r.plan.ContactName,
			Data: map[string]any{
				"Name": r.plan.AssociationName, "Host": r.h.Name, "LoginURL": loginURL, "Account": r.st.UserID,
				"Folder": r.st.Folder, "HelpURL": r.h.HelpURL, "HostEmail": r.h.ContactEmail,
				"Link": strings.TrimRight(r.e.opts.BaseURL, "/") + "/suivi",
			},
		})
		if err != nil {
			return "", apperr.Wrap(apperr.Unavailable, "prov.error.mail", "provisioning: ready e-mail", err)
		}
		r.st.Mailed = true
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	return "workspace recorded, association told", nil
}
