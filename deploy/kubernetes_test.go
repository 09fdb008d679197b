package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// objects are the manifests' documents, decoded strictly by kind.
type objects struct {
	services     map[string]*corev1.Service
	statefulSets map[string]*appsv1.StatefulSet
	jobs         map[string]*batchv1.Job
	claims       map[string]*corev1.PersistentVolumeClaim
}

func load(t *testing.T) objects {
	t.Helper()
	o := objects{map[string]*corev1.Service{}, map[string]*appsv1.StatefulSet{}, map[string]*batchv1.Job{}, map[string]*corev1.PersistentVolumeClaim{}}
	files, _ := filepath.Glob("kubernetes/*.yaml")
	if len(files) == 0 {
		t.Fatal("no manifests in kubernetes/")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range bytes.Split(b, []byte("\n---\n")) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s document %d: %v", f, i+1, err)
			}
			var obj interface{ GetName() string }
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 Service":
				obj = &corev1.Service{}
			case "apps/v1 StatefulSet":
				obj = &appsv1.StatefulSet{}
			case "batch/v1 Job":
				obj = &batchv1.Job{}
			case "v1 PersistentVolumeClaim":
				obj = &corev1.PersistentVolumeClaim{}
			default:
				t.Fatalf("%s document %d: unexpected %q %q", f, i+1, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict(doc, obj); err != nil {
				t.Fatalf("%s document %d (%s): %v", f, i+1, tm.Kind, err)
			}
			switch v := obj.(type) {
			case *corev1.Service:
				o.services[v.Name] = v
			case *appsv1.StatefulSet:
				o.statefulSets[v.Name] = v
			case *batchv1.Job:
				o.jobs[v.Name] = v
			case *corev1.PersistentVolumeClaim:
				o.claims[v.Name] = v
			}
		}
	}
	return o
}

func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return len(sel) > 0
}

func containerPort(c corev1.Container, name string) (int32, bool) {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort, true
		}
	}
	return 0, false
}

// expand turns {A..B} into each value, as pushbench run does.
var braces = regexp.MustCompile(`\{(\d+)\.\.(\d+)\}`)

func count(arg string) int {
	m := braces.FindStringSubmatch(arg)
	if m == nil {
		return 1
	}
	a, _ := strconv.Atoi(m[1])
	b, _ := strconv.Atoi(m[2])
	return b - a + 1
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

// TestManifestsAgree: the documents decode strictly; every Service selects
// pods that exist and targets ports they declare; the coordinator names as
// many servers and workers as the StatefulSet and the Job run, by the names
// their headless Services give them; its results go to a declared claim.
func TestManifestsAgree(t *testing.T) {
	o := load(t)
	servers, ok := o.statefulSets["pushbench-server"]
	if !ok {
		t.Fatal("no pushbench-server StatefulSet")
	}
	workers, ok := o.jobs["pushbench-worker"]
	if !ok {
		t.Fatal("no pushbench-worker Job")
	}
	run, ok := o.jobs["pushbench-run"]
	if !ok {
		t.Fatal("no pushbench-run Job")
	}
	if workers.Spec.CompletionMode == nil || *workers.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Error("the worker Job is not Indexed: its pods would have no stable names")
	}
	if workers.Spec.Completions == nil || workers.Spec.Parallelism == nil || *workers.Spec.Completions != *workers.Spec.Parallelism {
		t.Error("the worker Job must run every worker at once (parallelism = completions)")
	}
	pods := map[string]corev1.PodTemplateSpec{"server": servers.Spec.Template, "worker": workers.Spec.Template}
	for name, svc := range o.services {
		matched := false
		for _, p := range pods {
			if !selects(svc.Spec.Selector, p.Labels) {
				continue
			}
			matched = true
			for _, sp := range svc.Spec.Ports {
				if _, ok := containerPort(p.Spec.Containers[0], sp.TargetPort.StrVal); !ok {
					t.Errorf("Service %s port %s targets %q, which the pods do not declare", name, sp.Name, sp.TargetPort.StrVal)
				}
			}
		}
		if !matched {
			t.Errorf("Service %s selects no pods of the manifests", name)
		}
	}
	if servers.Spec.ServiceName == "" || o.services[servers.Spec.ServiceName] == nil || o.services[servers.Spec.ServiceName].Spec.ClusterIP != "None" {
		t.Errorf("the server StatefulSet's serviceName %q is not a headless Service of the manifests", servers.Spec.ServiceName)
	}
	sub := workers.Spec.Template.Spec.Subdomain
	if o.services[sub] == nil || o.services[sub].Spec.ClusterIP != "None" {
		t.Errorf("the worker pods' subdomain %q is not a headless Service of the manifests", sub)
	}
	args := run.Spec.Template.Spec.Containers[0].Args
	if s := flagValue(args, "server"); !strings.Contains(s, "pushbench-server-") || !strings.Contains(s, "."+servers.Spec.ServiceName+":") || count(s) != int(*servers.Spec.Replicas) {
		t.Errorf("--server=%s does not name the %d server pods", s, *servers.Spec.Replicas)
	}
	if w := flagValue(args, "worker"); !strings.Contains(w, "pushbench-worker-") || !strings.Contains(w, "."+sub+":") || count(w) != int(*workers.Spec.Completions) {
		t.Errorf("--worker=%s does not name the %d worker pods", w, *workers.Spec.Completions)
	}
	out := flagValue(args, "out")
	mounted := false
	for _, m := range run.Spec.Template.Spec.Containers[0].VolumeMounts {
		for _, v := range run.Spec.Template.Spec.Volumes {
			if v.Name == m.Name && v.PersistentVolumeClaim != nil && o.claims[v.PersistentVolumeClaim.ClaimName] != nil && strings.HasPrefix(out, m.MountPath) {
				mounted = true
			}
		}
	}
	if !mounted {
		t.Errorf("--out=%s is not on a mounted persistent volume claim: the results would die with the pod", out)
	}
}

// TestManifestArgsAreRealFlags runs every container's arguments through
// the real pushbench command line (with -h, so nothing runs): an unknown or
// misspelt flag fails here, not on the cluster.
func TestManifestArgsAreRealFlags(t *testing.T) {
	o := load(t)
	bin := filepath.Join(t.TempDir(), "pushbench")
	build := exec.Command("go", "build", "-o", bin, "github.com/pushbench/pushbench/cmd/pushbench")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	var all []corev1.Container
	for _, s := range o.statefulSets {
		all = append(all, s.Spec.Template.Spec.Containers...)
	}
	for _, j := range o.jobs {
		all = append(all, j.Spec.Template.Spec.Containers...)
	}
	for _, c := range all {
		cmd := exec.Command(bin, append(append([]string(nil), c.Args...), "-h")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("container %s: pushbench %s: %v\n%s", c.Name, strings.Join(c.Args, " "), err, lastLine(out))
		}
	}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return fmt.Sprint(lines[len(lines)-1])
}

// controlSecret is the Secret the manifests take the control token from
// (created by hand: a token in the repository would be everyone's).
const controlSecret = "pushbench-control"

// speaksControl says whether a container serves or drives a control API:
// a worker, serve --control, or the coordinator (run).
func speaksControl(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "worker", "run":
		return true
	case "serve":
		for _, a := range args {
			if a == "--control" || a == "--control=true" {
				return true
			}
		}
	}
	return false
}

// tokenFromSecret says how c gets the token from the Secret: the
// PUSHBENCH_TOKEN variable by secretKeyRef, or --token-file on a volume of
// the Secret ("" when it does not).
func tokenFromSecret(c corev1.Container, pod corev1.PodSpec) string {
	for _, e := range c.Env {
		if e.Name == "PUSHBENCH_TOKEN" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
			e.ValueFrom.SecretKeyRef.Name == controlSecret && e.ValueFrom.SecretKeyRef.Key != "" && e.Value == "" {
			return "env PUSHBENCH_TOKEN from secret " + controlSecret
		}
	}
	file := flagValue(c.Args, "token-file")
	for _, m := range c.VolumeMounts {
		for _, v := range pod.Volumes {
			if v.Name == m.Name && v.Secret != nil && v.Secret.SecretName == controlSecret && file != "" && strings.HasPrefix(file, m.MountPath+"/") {
				return "--token-file on a volume of secret " + controlSecret
			}
		}
	}
	return ""
}

// TestControlTokenFromSecret: every pod that speaks the control API (the
// workers, the servers, the coordinator) takes the token from the Secret,
// and none carries a token of its own in plain text.
func TestControlTokenFromSecret(t *testing.T) {
	o := load(t)
	pods := map[string]corev1.PodSpec{}
	for n, s := range o.statefulSets {
		pods["StatefulSet "+n] = s.Spec.Template.Spec
	}
	for n, j := range o.jobs {
		pods["Job "+n] = j.Spec.Template.Spec
	}
	speakers := 0
	for name, pod := range pods {
		for _, c := range pod.Containers {
			for _, e := range c.Env {
				if e.Name == "PUSHBENCH_TOKEN" && e.Value != "" {
					t.Errorf("%s container %s: PUSHBENCH_TOKEN written in the manifest, want it from secret %s", name, c.Name, controlSecret)
				}
			}
			if !speaksControl(c.Args) {
				continue
			}
			speakers++
			how := tokenFromSecret(c, pod)
			if how == "" {
				t.Errorf("%s container %s (pushbench %s) speaks the control API but does not take the token from secret %s", name, c.Name, c.Args[0], controlSecret)
				continue
			}
			t.Logf("%s container %s: %s", name, c.Name, how)
		}
	}
	if speakers != 3 {
		t.Errorf("%d containers speak the control API, want 3 (workers, servers, coordinator)", speakers)
	}
}
