// Package layout holds no code: its test pins who may import whom, so the
// rooms of docs/architecture.md stay rooms.
package layout
