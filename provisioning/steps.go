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
	"time"

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

// stepFunc runs one step and returns its detail for staff.
type stepFunc func(r *run, ctx context.Context) (string, error)

// steps are the functions of the step names; a file adding a step (the
// services) registers it with addStep.
var steps = map[string]stepFunc{
	StepPreflight:  (*run).preflight,
	StepGroup:      (*run).group,
	StepAccount:    (*run).account,
	StepMembership: (*run).membership,
	StepSpace:      (*run).space,
	StepTree:       (*run).tree,
	StepDocuments:  (*run).documents,
	StepRevoke:     (*run).revoke,
	StepRecord:     (*run).record,
}

// addStep registers a step that runs just before the step named before
// (from an init function): jobs enqueued from then on include it.
func addStep(name, before string, fn stepFunc) {
	i := slices.Index(StepNames, before)
	if i < 0 {
		panic("provisioning: addStep before unknown step " + before)
	}
	StepNames = slices.Insert(StepNames, i, name)
	steps[name] = fn
}

func (r *run) step(ctx context.Context, name string) (string, error) {
	if fn, ok := steps[name]; ok {
		return fn(r, ctx)
	}
	return "", fmt.Errorf("provisioning: unknown step %q", name)
}

func permanent(key, op string) error { return apperr.New(apperr.Invalid, key, op) }

// preflight learns the host's version and abilities and checks that the
// provisioning account is an administrator: three reads, made once per
// host and connection while they stay fresh (hostFactsTTL), not per job.
func (r *run) preflight(ctx context.Context) (string, error) {
	conn := r.h.NextcloudURL + "\x00" + r.h.NextcloudUser
	// One job of a host reads while the others wait for its answer.
	unlock := r.e.lockFacts(r.h.ID)
	f, ok := r.e.cachedFacts(r.h.ID, conn)
	if !ok {
		var err error
		if f, err = r.readFacts(ctx); err != nil {
			unlock()
			return "", err
		}
		f.conn = conn
		r.e.rememberFacts(r.h.ID, f)
	}
	unlock()
	r.st.Version, r.st.GroupFolders, r.st.Admin = f.version, f.groupFolders, f.admin
	r.st.Services.Apps, r.st.Services.AppsRead = f.apps, true
	if f.groupFolders {
		return detail("prov.detail.preflight_groupfolder", "Version", f.version), nil
	}
	return detail("prov.detail.preflight_share", "Version", f.version), nil
}

// hostFacts are what preflight learns of a host.
type hostFacts struct {
	version      string
	groupFolders bool
	admin        string
	apps         []string // enabled apps (steps_services.go)
	conn         string   // the URL and account they were read with
	at           time.Time
}

func (r *run) readFacts(ctx context.Context) (hostFacts, error) {
	var status nextcloud.Status
	err := r.do(ctx, func(ctx context.Context) (err error) {
		status, err = r.c.Status(ctx)
		return err
	})
	if err != nil {
		return hostFacts{}, err
	}
	if !status.Installed {
		return hostFacts{}, permanent("prov.error.not_installed", "provisioning: preflight")
	}
	if status.Maintenance {
		return hostFacts{}, &nextcloud.Error{Op: "status", Kind: nextcloud.ErrUnavailable, Maintenance: true}
	}
	var caps nextcloud.Capabilities
	err = r.do(ctx, func(ctx context.Context) (err error) {
		caps, err = r.c.Capabilities(ctx)
		return err
	})
	if err != nil {
		return hostFacts{}, err
	}
	var me nextcloud.User
	err = r.do(ctx, func(ctx context.Context) (err error) {
		me, err = r.c.CurrentUser(ctx)
		return err
	})
	if err != nil {
		return hostFacts{}, err
	}
	if !me.Admin {
		return hostFacts{}, permanent("prov.error.not_admin", "provisioning: preflight")
	}
	if !caps.GroupFolders && !(caps.FilesSharingAPI && caps.GroupSharing) {
		return hostFacts{}, permanent("prov.error.no_sharing", "provisioning: preflight")
	}
	apps, err := r.readApps(ctx)
	if err != nil {
		return hostFacts{}, err
	}
	return hostFacts{version: status.VersionString, groupFolders: caps.GroupFolders, admin: me.ID, apps: apps, at: r.e.now()}, nil
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
	return detail("prov.detail.group_"+outcome.String(), "ID", r.st.GroupID), err
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

// String names the outcome in step details' message IDs.
func (o outcome) String() string {
	switch o {
	case adopted:
		return "adopted"
	case made:
		return "made"
	}
	return "existed"
}

// detail is a step's detail for staff, stored as a message translated into
// each reader's language: an ID of the message files and its arguments,
// given as name, value pairs.
func detail(id string, args ...any) string {
	m := map[string]any{}
	for i := 0; i+1 < len(args); i += 2 {
		m[fmt.Sprint(args[i])] = args[i+1]
	}
	return onboarding.StoredMessage(id, m)
}

// ensureNamed makes sure the job owns an object of its own choosing. A
// first creation is asked for at once, without a look: the job's record
// says it never asked for this id, so an "exists" answer means somebody
// else's and the next id is tried. Only a job resuming after asking (an
// answer lost, a crash) looks before acting.
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
		key := o.kind + ":" + *o.id
		if !*o.created && !r.attempted(key) {
			if err := r.markAttempt(ctx, key); err != nil {
				return 0, err
			}
			done, err := r.create(ctx, o)
			if err != nil || done {
				return made, err
			}
			continue
		}
		exists, ours, err := o.look(ctx)
		switch {
		case exists && *o.created:
			return existed, nil
		case exists && ours:
			*o.created = true
			return adopted, r.save(ctx)
		case exists:
			// Somebody else's: never adopted; try the next id.
			*o.id = ""
			if err := r.save(ctx); err != nil {
				return 0, err
			}
		case errors.Is(err, nextcloud.ErrNotFound):
			done, err := r.create(ctx, o)
			if err != nil || done {
				return made, err
			}
		default:
			return 0, err
		}
	}
}

// create asks the host for a named object; done is false when the id turned
// out to be taken (the next one is then to be tried).
func (r *run) create(ctx context.Context, o named) (done bool, err error) {
	err = r.do(ctx, o.create)
	if errors.Is(err, nextcloud.ErrAlreadyExists) {
		*o.id = ""
		return false, r.save(ctx)
	}
	if err != nil {
		return false, err
	}
	*o.created = true
	return true, r.save(ctx)
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
// never sees a password. One request creates it with its group and quota.
func (r *run) account(ctx context.Context) (string, error) {
	quota := strconv.FormatInt(r.plan.accountQuota(), 10)
	var u nextcloud.User
	outcome, err := r.ensureNamed(ctx, named{
		kind: "user", id: &r.st.UserID, try: &r.st.UserTry, created: &r.st.UserCreated,
		candidate: func(n int) string { return UserIDCandidate(r.plan.ContactName, r.st.GroupID, n) },
		look: func(ctx context.Context) (bool, bool, error) {
			err := r.do(ctx, func(ctx context.Context) (err error) { u, err = r.c.GetUser(ctx, r.st.UserID); return err })
			return err == nil, err == nil && strings.EqualFold(u.Email, r.plan.ContactEmail) && u.DisplayName == r.plan.ContactName, err
		},
		create: func(ctx context.Context) error {
			return r.c.CreateUserWithQuota(ctx, nextcloud.NewUser{
				ID: r.st.UserID, Email: r.plan.ContactEmail, DisplayName: r.plan.ContactName,
				Language: r.plan.Language, Quota: quota, Groups: []string{r.st.GroupID},
			})
		},
	})
	if err != nil {
		return "", err
	}
	if outcome == made {
		// Made in one request with its group: membership need not look.
		r.st.UserInGroup = true
		if err := r.save(ctx); err != nil {
			return "", err
		}
		return detail("prov.detail.account_made", "ID", r.st.UserID), nil
	}
	if err := r.alignUser(ctx, u, r.plan.accountQuota()); err != nil {
		return "", err
	}
	return detail("prov.detail.account_"+outcome.String(), "ID", r.st.UserID), nil
}

// alignUser corrects what differs from the plan on an account we made.
func (r *run) alignUser(ctx context.Context, u nextcloud.User, quota int64) error {
	edits := []struct {
		field        nextcloud.UserField
		value        string
		wrongAlready bool
	}{
		{nextcloud.FieldEmail, r.plan.ContactEmail, !strings.EqualFold(u.Email, r.plan.ContactEmail)},
		{nextcloud.FieldDisplayName, r.plan.ContactName, u.DisplayName != r.plan.ContactName},
		{nextcloud.FieldQuota, strconv.FormatInt(quota, 10), u.Quota.Unlimited || u.Quota.Limit != quota},
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
// in it among associations' groups, and administers it. An account this job
// created with its group in the same request needs no look.
func (r *run) membership(ctx context.Context) (string, error) {
	if !r.st.UserInGroup {
		if err := r.checkMembership(ctx); err != nil {
			return "", err
		}
	}
	if err := r.do(ctx, func(ctx context.Context) error { return r.c.PromoteSubadmin(ctx, r.st.UserID, r.st.GroupID) }); err != nil {
		return "", err
	}
	return detail("prov.detail.membership", "Group", r.st.GroupID), nil
}

// checkMembership puts an account the job adopted or found again in its
// group, refusing one that belongs to another association.
func (r *run) checkMembership(ctx context.Context) error {
	var u nextcloud.User
	if err := r.do(ctx, func(ctx context.Context) (err error) { u, err = r.c.GetUser(ctx, r.st.UserID); return err }); err != nil {
		return err
	}
	for _, g := range u.Groups {
		if strings.EqualFold(g, r.st.GroupID) {
			continue
		}
		owner, err := r.e.Jobs.ownerOf(ctx, r.h.ID, "group", g)
		if err != nil {
			return err
		}
		if owner != "" && owner != r.plan.ApplicationID {
			return permanent("prov.error.account_elsewhere", "provisioning: membership")
		}
	}
	if !containsFold(u.Groups, r.st.GroupID) {
		return r.do(ctx, func(ctx context.Context) error { return r.c.AddToGroup(ctx, r.st.UserID, r.st.GroupID) })
	}
	return nil
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

// groupFolder ensures the group folder: created (not looked for first: the
// job never asked for this mount point), given to the group and to the
// access group, with the plan's quota. A job resuming after a lost answer
// looks the folder up (by id when it knows it) and corrects what differs.
func (r *run) groupFolder(ctx context.Context) (string, error) {
	if err := r.ensureAccessGroup(ctx); err != nil {
		return "", err
	}
	fresh := false // created by this very run: known to be bare
	for r.st.FolderID == 0 {
		if r.st.Folder == "" {
			if err := r.nextFolder(ctx); err != nil {
				return "", err
			}
		}
		if r.attempted("folder:" + r.st.Folder) {
			// The creation's answer was lost: the id is unknown, so this
			// rare case reads the list to recognise the folder.
			found, err := r.findAskedFolder(ctx)
			if err != nil || found {
				if err != nil {
					return "", err
				}
				break
			}
			continue
		}
		if err := r.markAttempt(ctx, "folder:"+r.st.Folder); err != nil {
			return "", err
		}
		var id int
		err := r.do(ctx, func(ctx context.Context) (err error) { id, err = r.c.CreateGroupFolder(ctx, r.st.Folder); return err })
		if err != nil {
			return "", err
		}
		r.st.FolderID, r.st.FolderCreated, fresh = id, true, true
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	var folder nextcloud.GroupFolder
	if fresh {
		// Just created: no group, no quota. Nothing to read.
		folder = nextcloud.GroupFolder{ID: r.st.FolderID, Groups: map[string]nextcloud.Permission{}, Quota: nextcloud.QuotaUnlimited}
	} else {
		err := r.do(ctx, func(ctx context.Context) (err error) { folder, err = r.c.GroupFolder(ctx, r.st.FolderID); return err })
		if err != nil {
			return "", err
		}
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
	return detail("prov.detail.groupfolder", "Folder", r.st.Folder, "ID", r.st.FolderID), nil
}

// findAskedFolder looks for the folder this job asked for and whose answer
// was lost. found is false when the mount point is free (the creation never
// happened: the job may ask again) or somebody else's (the next name is
// then taken).
func (r *run) findAskedFolder(ctx context.Context) (found bool, err error) {
	var all []nextcloud.GroupFolder
	if err := r.do(ctx, func(ctx context.Context) (err error) { all, err = r.c.GroupFolders(ctx); return err }); err != nil {
		return false, err
	}
	for _, f := range all {
		if !strings.EqualFold(f.MountPoint, r.st.Folder) {
			continue
		}
		if onlyGroups(f, r.st.GroupID, AccessGroup) {
			r.st.FolderID, r.st.FolderCreated = f.ID, true
			return true, r.save(ctx)
		}
		r.st.Folder = ""
		return false, r.save(ctx)
	}
	delete(r.st.Asked, "folder:"+r.st.Folder)
	return false, r.save(ctx)
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

// ensureAccessGroup makes sure the provisioning account is in AccessGroup:
// done once per host and provisioning account, and recorded on the host.
func (r *run) ensureAccessGroup(ctx context.Context) error {
	// Jobs of one host starting together ensure it once (replicas may both
	// do it: every call here is idempotent).
	unlock := r.e.lockFacts("access-group:" + r.h.ID)
	defer unlock()
	if done, err := r.e.Hosts.accessGroupFor(ctx, r.h.ID); err != nil || strings.EqualFold(done, r.st.Admin) {
		return err
	}
	err := r.do(ctx, func(ctx context.Context) error { return r.c.CreateGroup(ctx, AccessGroup, "Archipel (provisioning)") })
	if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
		return err
	}
	// Adding a member is idempotent: no need to read the account first.
	if err := r.do(ctx, func(ctx context.Context) error { return r.c.AddToGroup(ctx, r.st.Admin, AccessGroup) }); err != nil {
		return err
	}
	return r.e.Hosts.setAccessGroupFor(ctx, r.h.ID, r.st.Admin)
}

// sharedFolder is the space of hosts without group folders: a folder of the
// provisioning account shared with the group. The account owns it, so it
// keeps access: the README says so to hosts. As for named objects, a first
// creation is asked for at once; only a resumed job looks.
func (r *run) sharedFolder(ctx context.Context) (string, error) {
	for !r.st.FolderCreated {
		if r.st.Folder == "" {
			if err := r.nextFolder(ctx); err != nil {
				return "", err
			}
		}
		key := "folder:" + r.st.Folder
		if r.attempted(key) {
			_, err := r.statAdmin(ctx, "/"+r.st.Folder)
			switch {
			case err == nil:
				r.st.FolderCreated = true
				if err := r.save(ctx); err != nil {
					return "", err
				}
				continue
			case !errors.Is(err, nextcloud.ErrNotFound):
				return "", err
			}
		} else if err := r.markAttempt(ctx, key); err != nil {
			return "", err
		}
		err := r.do(ctx, func(ctx context.Context) error { return r.c.Mkdir(ctx, r.st.Admin, "/"+r.st.Folder) })
		switch {
		case errors.Is(err, nextcloud.ErrAlreadyExists):
			r.st.Folder = "" // somebody else's folder: the next name
		case err != nil:
			return "", err
		default:
			r.st.FolderCreated = true
		}
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	done := detail("prov.detail.shared", "Folder", r.st.Folder, "Group", r.st.GroupID)
	if r.st.ShareID != "" {
		return done, nil
	}
	if r.attempted("share:" + r.st.Folder) {
		var shares []nextcloud.Share
		if err := r.do(ctx, func(ctx context.Context) (err error) { shares, err = r.c.Shares(ctx, "/"+r.st.Folder); return err }); err != nil {
			return "", err
		}
		for _, s := range shares {
			if strings.EqualFold(s.ShareWith, r.st.GroupID) {
				r.st.ShareID = s.ID
				return done, r.save(ctx)
			}
		}
	} else if err := r.markAttempt(ctx, "share:"+r.st.Folder); err != nil {
		return "", err
	}
	var sh nextcloud.Share
	err := r.do(ctx, func(ctx context.Context) (err error) {
		sh, err = r.c.CreateGroupShare(ctx, "/"+r.st.Folder, r.st.GroupID, nextcloud.PermAll)
		return err
	})
	if err != nil {
		return "", err
	}
	r.st.ShareID = sh.ID
	return done, r.save(ctx)
}

func (r *run) statAdmin(ctx context.Context, p string) (info nextcloud.FileInfo, err error) {
	err = r.do(ctx, func(ctx context.Context) (err error) { info, err = r.c.Stat(ctx, r.st.Admin, p); return err })
	return info, err
}

// tree ensures the host's folder template inside the shared space. A
// missing space on a group-folder host means the provisioning account lost
// its access group: it is ensured again, once.
func (r *run) tree(ctx context.Context) (string, error) {
	for i, f := range r.plan.Folders {
		p := path.Join("/", r.st.Folder, f)
		err := r.do(ctx, func(ctx context.Context) error { return r.c.Mkdir(ctx, r.st.Admin, p) })
		if i == 0 && errors.Is(err, nextcloud.ErrNotFound) && r.st.GroupFolders {
			if err := r.e.Hosts.setAccessGroupFor(ctx, r.h.ID, ""); err != nil {
				return "", err
			}
			if err := r.ensureAccessGroup(ctx); err != nil {
				return "", err
			}
			err = r.do(ctx, func(ctx context.Context) error { return r.c.Mkdir(ctx, r.st.Admin, p) })
		}
		if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
			return "", err
		}
	}
	return detail("prov.detail.tree", "N", len(r.plan.Folders)), nil
}

// documents places the welcome documents, never overwriting one the
// association changed. A first upload is made at once (the job never asked
// for it, and the space is its own), its ETag taken from the answer; a job
// resuming after asking looks at what is there first.
func (r *run) documents(ctx context.Context) (string, error) {
	placed := 0
	if r.st.Documents == nil {
		r.st.Documents = map[string]string{}
	}
	for _, d := range r.plan.Documents {
		if _, known := r.st.Documents[d.Name]; known {
			continue // ours, possibly changed or deleted since: left alone
		}
		content, err := renderDocument(d, r.plan, r.h, r.st)
		if err != nil {
			return "", permanent("prov.error.template", "provisioning: documents")
		}
		p := path.Join("/", r.st.Folder, d.Name)
		key := "doc:" + d.Name
		if r.attempted(key) {
			info, err := r.statAdmin(ctx, p)
			switch {
			case err == nil:
				// There before any record: ours if identical (an upload
				// whose answer was lost), else the association's: kept
				// either way.
				var got []byte
				if err := r.do(ctx, func(ctx context.Context) (err error) { got, err = r.c.Download(ctx, r.st.Admin, p); return err }); err != nil {
					return "", err
				}
				r.st.Documents[d.Name] = "kept"
				if bytes.Equal(got, content) {
					r.st.Documents[d.Name] = info.ETag
				}
				if err := r.save(ctx); err != nil {
					return "", err
				}
				continue
			case !errors.Is(err, nextcloud.ErrNotFound):
				return "", err
			}
		} else if err := r.markAttempt(ctx, key); err != nil {
			return "", err
		}
		var etag string
		if err := r.do(ctx, func(ctx context.Context) (err error) {
			etag, err = r.c.UploadETag(ctx, r.st.Admin, p, content)
			return err
		}); err != nil {
			return "", err
		}
		r.st.Documents[d.Name] = etag
		placed++
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	return detail("prov.detail.documents", "N", placed), nil
}

// revoke removes the provisioning account's access to the group folder; a
// folder without it already answers as success.
func (r *run) revoke(ctx context.Context) (string, error) {
	if !r.st.GroupFolders {
		return detail("prov.detail.revoke_none"), nil
	}
	// Removing a group the folder does not have answers success: no need
	// to read the folder first. A missing folder is an error (not found).
	if err := r.do(ctx, func(ctx context.Context) error { return r.c.RemoveGroupFromFolder(ctx, r.st.FolderID, AccessGroup) }); err != nil {
		return "", err
	}
	return detail("prov.detail.revoke"), nil
}

// record writes the workspace's facts, marks the request ready and tells
// the association how to begin.
func (r *run) record(ctx context.Context) (string, error) {
	loginURL := strings.TrimRight(r.h.NextcloudURL, "/") + "/index.php/login"
	now := r.e.Jobs.now()
	err := r.e.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes,
			created_at, folder_id, account_quota_bytes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (application_id) DO NOTHING`,
			r.plan.ApplicationID, r.h.ID, loginURL, r.st.UserID, r.st.GroupID, r.st.Folder, r.plan.QuotaBytes, now,
			r.st.FolderID, r.plan.accountQuota())
		return err
	})
	if err != nil {
		return "", apperr.Wrap(apperr.Unavailable, "prov.error.internal", "provisioning: record", err)
	}
	app, err := r.e.apps.Get(ctx, r.plan.ApplicationID)
	if err != nil {
		return "", err
	}
	if app.Status == onboarding.StatusReady {
		return "workspace recorded, association told", nil
	}
	// Whether the contact may sign in with its address rather than type
	// the account's name; asked before the transaction, like the link.
	loginEmail := ""
	if r.loginByEmail(ctx) {
		loginEmail = r.plan.ContactEmail
	}
	// The association's private link, so that the e-mail opens its status
	// page (login, account, next step) on any device. Made before the
	// transaction: an unused link is harmless.
	link := strings.TrimRight(r.e.opts.BaseURL, "/") + "/suivi"
	if token, err := r.e.apps.MailLink(ctx, app); err == nil {
		link = strings.TrimRight(r.e.opts.BaseURL, "/") + "/reprendre/" + token
	}
	// Ready and its e-mail commit together: the request never shows ready
	// without the e-mail on its way, and a retried step never sends it twice.
	err = r.e.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := r.e.apps.Transition(ctx, tx, app, onboarding.StatusReady, "", ""); err != nil {
			return err
		}
		if r.e.postman == nil {
			return nil
		}
		err := r.e.postman.Enqueue(ctx, tx, mail.Letter{
			Lang: r.plan.Language, Template: "workspace_ready", To: r.plan.ContactEmail, ToName: r.plan.ContactName,
			RequestID: app.ID,
			Data: map[string]any{
				"Name": r.plan.AssociationName, "Host": r.h.Name, "LoginURL": loginURL, "Account": r.st.UserID,
				"Folder": r.st.Folder, "HelpURL": r.h.HelpURL, "HostEmail": r.h.ContactEmail, "LoginEmail": loginEmail,
				"Link":     link,
				"Services": summarize(r.plan, r.h, r.st),
			},
		})
		if err != nil {
			return apperr.Wrap(apperr.Unavailable, "prov.error.mail", "provisioning: ready e-mail", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	r.e.postman.Wake()
	return detail("prov.detail.record"), nil
}

// maxEmailPeers is how many other accounts matching the contact's address
// loginByEmail reads before giving up on offering the address as login.
const maxEmailPeers = 5

// loginByEmail reports whether the association's contact may sign in on
// the host's Nextcloud with its e-mail address: Nextcloud takes an address
// as login when exactly one account has it. The search matches ids, names
// and addresses by part, so the other accounts it finds (at most
// maxEmailPeers) are read to compare their address. Any failing call means
// no: the account's name always works, and the welcome e-mail gives it.
func (r *run) loginByEmail(ctx context.Context) bool {
	email := strings.TrimSpace(r.plan.ContactEmail)
	if email == "" || r.st.UserID == "" {
		return false
	}
	var ids []string
	if err := r.do(ctx, func(ctx context.Context) (err error) { ids, err = r.c.ListUsers(ctx, email); return err }); err != nil {
		return false
	}
	mine := false
	var others []string
	for _, id := range ids {
		if strings.EqualFold(id, r.st.UserID) {
			mine = true
		} else {
			others = append(others, id)
		}
	}
	if !mine || len(others) > maxEmailPeers {
		return false
	}
	for _, id := range others {
		var u nextcloud.User
		if err := r.do(ctx, func(ctx context.Context) (err error) { u, err = r.c.GetUser(ctx, id); return err }); err != nil {
			return false
		}
		if strings.EqualFold(strings.TrimSpace(u.Email), email) {
			return false
		}
	}
	return true
}
