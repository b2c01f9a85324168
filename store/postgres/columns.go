package postgres

import "strings"

// prefixed qualifies each column of a comma-separated list with p (a
// table alias and a dot), for statements that join.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
