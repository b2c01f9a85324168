//go:build !race

package handlers

// raceSlowdown divides the draws of the property tests: 1 without the
// race detector.
const raceSlowdown = 1
