package deploy

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (the flag check builds and runs pushbench).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
