package results_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (the store's tests start child processes).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
