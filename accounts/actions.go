package accounts

// Action is what an audit line says was done. Every action the code
// writes is one of the constants below, listed in Actions; each has a
// label in both languages (audit.action.<action> or req.audit.<action>),
// which a test checks, so that no audit log shows a code.
type Action string

// The audit actions, by what they concern.
const (
	// Requests.
	ActionApproved              Action = "approved"
	ActionDeclined              Action = "declined"
	ActionInfoRequested         Action = "info_requested"
	ActionInterviewPlanned      Action = "interview_planned"
	ActionInterviewMoved        Action = "interview_moved"
	ActionInterviewNotesSaved   Action = "interview_notes_saved"
	ActionNoteAdded             Action = "note_added"
	ActionProvisioningRetried   Action = "provisioning_retried"
	ActionProvisioningCancelled Action = "provisioning_cancelled"
	ActionWorkspaceDisabled     Action = "workspace_disabled"
	ActionHostWaiting           Action = "host_waiting"
	ActionHostMatched           Action = "host_matched"
	ActionRequestAssigned       Action = "request_assigned"
	ActionRequestTransferred    Action = "request_transferred"
	ActionAssigned              Action = "assigned"
	ActionUnassigned            Action = "unassigned"
	ActionDeclineTemplateSaved  Action = "decline_template_saved"
	ActionDeclineTemplateDelete Action = "decline_template_deleted"
	ActionRightsErased          Action = "rights_erased"
	ActionRightsErasureRefused  Action = "rights_erasure_refused"

	// Accompaniment and showcase.
	ActionCaseStage           Action = "case_stage"
	ActionCaseTrainers        Action = "case_trainers"
	ActionCaseClose           Action = "case_close"
	ActionSessionAdd          Action = "session_add"
	ActionSessionUpdate       Action = "session_update"
	ActionTopicAdd            Action = "topic_add"
	ActionCalendarFeedNew     Action = "calendar_feed_new"
	ActionReportDownload      Action = "report_download"
	ActionDemoAdvance         Action = "demo_advance"
	ActionCheckinsStopped     Action = "checkins_stopped"
	ActionShowcaseSaved       Action = "showcase_saved"
	ActionShowcaseLogo        Action = "showcase_logo"
	ActionShowcaseLogoRemoved Action = "showcase_logo_removed"
	ActionShowcaseAsked       Action = "showcase_asked"

	// Hosts.
	ActionHostCreated           Action = "host_created"
	ActionHostUpdated           Action = "host_updated"
	ActionHostPaused            Action = "host_paused"
	ActionHostResumed           Action = "host_resumed"
	ActionHostConnectionSaved   Action = "host_connection_saved"
	ActionHostChecked           Action = "host_checked"
	ActionHostChatonsInfosRead  Action = "host_chatonsinfos_read"
	ActionHostChatonsInfosRemov Action = "host_chatonsinfos_removed"

	// Staff accounts and the mail queue.
	ActionLogin         Action = "login"
	ActionLoginOIDC     Action = "login_oidc"
	ActionPasswordSet   Action = "password_set"
	ActionUserCreated   Action = "user_created"
	ActionUserInvited   Action = "user_invited"
	ActionUserReinvited Action = "user_reinvited"
	ActionUserEnabled   Action = "user_enabled"
	ActionUserDisabled  Action = "user_disabled"
	ActionStaffDeleted  Action = "staff_deleted"
	ActionMailRetry     Action = "mail_retry"
)

// Actions lists every audit action, for the test that each has a label
// in both languages.
var Actions = []Action{
	ActionApproved, ActionDeclined, ActionInfoRequested, ActionInterviewPlanned, ActionInterviewMoved,
	ActionInterviewNotesSaved, ActionNoteAdded, ActionProvisioningRetried, ActionProvisioningCancelled,
	ActionWorkspaceDisabled, ActionHostWaiting, ActionHostMatched, ActionRequestAssigned, ActionRequestTransferred,
	ActionAssigned, ActionUnassigned, ActionDeclineTemplateSaved, ActionDeclineTemplateDelete, ActionRightsErased,
	ActionRightsErasureRefused,
	ActionCaseStage, ActionCaseTrainers, ActionCaseClose, ActionSessionAdd, ActionSessionUpdate, ActionTopicAdd,
	ActionCalendarFeedNew, ActionReportDownload, ActionDemoAdvance, ActionCheckinsStopped, ActionShowcaseSaved,
	ActionShowcaseLogo, ActionShowcaseLogoRemoved, ActionShowcaseAsked,
	ActionHostCreated, ActionHostUpdated, ActionHostPaused, ActionHostResumed, ActionHostConnectionSaved,
	ActionHostChecked, ActionHostChatonsInfosRead, ActionHostChatonsInfosRemov,
	ActionLogin, ActionLoginOIDC, ActionPasswordSet, ActionUserCreated, ActionUserInvited, ActionUserReinvited,
	ActionUserEnabled, ActionUserDisabled, ActionStaffDeleted, ActionMailRetry,
}
