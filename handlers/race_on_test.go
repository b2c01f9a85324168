//go:build race

package handlers

// raceSlowdown divides the draws of the property tests under the race
// detector, where validating each against the schema is ten times slower
// (CI runs them in full without it).
const raceSlowdown = 5
