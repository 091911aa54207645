package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kubernetes' defaults for what lint reads (API reference, PodSpec and
// Probe): terminationGracePeriodSeconds 30, periodSeconds 10,
// failureThreshold 3.
const (
	kubeGrace            = 30 * time.Second
	kubeProbePeriod      = 10 * time.Second
	kubeFailureThreshold = 3
	kubeDefaults         = "Kubernetes' default"
)

// workload is a pod template of a Kubernetes manifest.
type workload struct {
	name       string // "Deployment/api"
	file       string
	grace      setting
	containers []container
	// replicas is spec.replicas (1 when not written), written at
	// replicasLine; hpa names the HorizontalPodAutoscaler that scales the
	// workload, if any among the linted files.
	replicas     int
	replicasLine int
	hpa          string
}

type container struct {
	name      string
	path      string // key path of the container in the file
	ports     map[int]bool
	portNames map[string]int
	preStop   setting
	readiness *probe
	probes    []probe
}

type probe struct {
	kind      string // readinessProbe, livenessProbe, startupProbe
	path      string
	line      int
	period    setting
	threshold int
	port      int // 0: not a network probe, or a port name that is not declared
}

// podSpecs are where each kind of workload keeps its pod spec.
var podSpecs = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// readKubernetes returns the workloads of a manifest file and the
// HorizontalPodAutoscalers' targets (to the HPA's name); other kinds of
// object are skipped.
func readKubernetes(file string, docs []*yaml.Node) ([]workload, map[string]string, []Finding) {
	r := &reader{file: file}
	var out []workload
	hpas := map[string]string{}
	for _, d := range docs {
		if target, name := hpaTarget(file, d); target != "" {
			hpas[target] = name
			continue
		}
		kind := scalar(get(d, "kind"))
		keys, ok := podSpecs[kind]
		if !ok {
			continue
		}
		spec := get(d, keys...)
		path := strings.Join(keys, ".")
		w := workload{
			name:  kind + "/" + scalar(get(d, "metadata", "name")),
			file:  file,
			grace: r.read(d, "", append(keys[:len(keys):len(keys)], "terminationGracePeriodSeconds"), time.Second, kubeGrace, kubeDefaults),
		}
		w.readReplicas(d)
		for i, c := range items(get(spec, "containers")) {
			w.containers = append(w.containers, r.container(c, fmt.Sprintf("%s.containers[%d]", path, i)))
		}
		out = append(out, w)
	}
	return out, hpas, r.findings
}

// sleepCommand finds "sleep N" in a preStop exec command.
var sleepCommand = regexp.MustCompile(`(?:^|[\s/;&])sleep\s+(\d+(?:\.\d+)?)s?(?:$|[\s;&])`)

func (r *reader) container(c *yaml.Node, path string) container {
	ct := container{name: scalar(get(c, "name")), path: path, ports: map[int]bool{}, portNames: map[string]int{}}
	for _, p := range items(get(c, "ports")) {
		n, _ := strconv.Atoi(scalar(get(p, "containerPort")))
		ct.ports[n] = true
		if name := scalar(get(p, "name")); name != "" {
			ct.portNames[name] = n
		}
	}
	ct.preStop = setting{file: r.file, key: path + ".lifecycle.preStop", origin: "no preStop hook"}
	if get(c, "lifecycle", "preStop", "sleep", "seconds") != nil {
		ct.preStop = r.read(c, path, []string{"lifecycle", "preStop", "sleep", "seconds"}, time.Second, 0, "")
	} else if cmd := items(get(c, "lifecycle", "preStop", "exec", "command")); cmd != nil {
		var words []string
		for _, w := range cmd {
			words = append(words, scalar(w))
		}
		if m := sleepCommand.FindStringSubmatch(strings.Join(words, " ")); m != nil {
			f, _ := strconv.ParseFloat(m[1], 64)
			ct.preStop = setting{d: time.Duration(f * float64(time.Second)), file: r.file, key: path + ".lifecycle.preStop.exec.command",
				line: keyLine(c, "lifecycle", "preStop", "exec", "command"), written: true}
		}
	}
	for _, kind := range []string{"readinessProbe", "livenessProbe", "startupProbe"} {
		p := get(c, kind)
		if p == nil {
			continue
		}
		pr := probe{kind: kind, path: path + "." + kind, line: keyLine(c, kind),
			period:    r.read(p, path+"."+kind, []string{"periodSeconds"}, time.Second, kubeProbePeriod, kubeDefaults),
			threshold: kubeFailureThreshold}
		if t, err := strconv.Atoi(scalar(get(p, "failureThreshold"))); err == nil && t > 0 {
			pr.threshold = t
		}
		for _, handler := range []string{"httpGet", "tcpSocket", "grpc"} {
			port := scalar(get(p, handler, "port"))
			if n, err := strconv.Atoi(port); err == nil {
				pr.port = n
			} else if port != "" {
				pr.port = ct.portNames[port]
			}
		}
		ct.probes = append(ct.probes, pr)
		if kind == "readinessProbe" {
			ct.readiness = &pr
		}
	}
	return ct
}

// serverContainer returns the container that runs a server listening on
// port: the one that declares the port, or the only one.
func (w workload) serverContainer(port int) (container, bool) {
	for _, c := range w.containers {
		if c.ports[port] {
			return c, true
		}
	}
	if len(w.containers) == 1 {
		return w.containers[0], true
	}
	return container{}, false
}
