package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"
)

// readPlan reads the lines of an EXPLAIN's answer, closing rows.
func readPlan(rows pgx.Rows) (string, error) {
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		plan = append(plan, line)
	}
	return strings.Join(plan, "\n"), rows.Err()
}
