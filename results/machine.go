package results

// Machine describes where a result was measured.
type Machine struct {
	CPUModel   string            `json:"cpu_model"`
	CPUs       int               `json:"cpus"`
	MemoryGiB  float64           `json:"memory_gib"`
	Kernel     string            `json:"kernel"`
	GoVersion  string            `json:"go_version"`
	GOMAXPROCS int               `json:"gomaxprocs"`
	Commit     string            `json:"commit"`
	Libraries  map[string]string `json:"libraries"`
}
