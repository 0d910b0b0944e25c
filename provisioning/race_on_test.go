//go:build race

package provisioning

// raceDetector says the tests run under -race, where every call is several
// times slower: the engine's call timeout in tests grows accordingly, so
// that only a hung call (the Hang fault) ever reaches it.
const raceDetector = true
