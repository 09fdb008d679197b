package report_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (the tests start make, node and chromium as child processes).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
