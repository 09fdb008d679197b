package proc

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if any test leaves a goroutine behind (Describe
// runs git as a child process when the build carries no revision).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
