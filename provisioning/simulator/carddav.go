package simulator

// Address books share the calendars' code (caldav.go); what differs is
// here: the tree, Sabre's names, and no trash bin (DELETE is for good, a
// second DELETE is 404, and the URI is free again at once).

// bookTree is /remote.php/dav/addressbooks/users/{owner}/{uri}/. Creation is
// an extended MKCOL whose body must name the addressbook resource type, else
// 403 "Unknown resourceType for this collection".
var bookTree = &davTree{prefix: davBooksPrefix, kind: "Addressbook", mkMethod: "MKCOL",
	davHdr: "1, 3, extended-mkcol, access-control, calendarserver-principal-property-search, oc-resource-sharing, addressbook, nc-paginate, nextcloud-checksum-update, nc-calendar-search, nc-enable-birthday-calendar, 2"}
