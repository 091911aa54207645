package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// RuleConnectionAgeReplicas: a server that runs as several replicas, or
// under a HorizontalPodAutoscaler, keeps its connections forever
// (server.limits.max_connection_age disabled), so keep-alive pins
// traffic to the replicas that existed before a scale-out.
const RuleConnectionAgeReplicas = "connection-age-replicas"

// scaledBy names what runs w as more than one replica, for a finding's
// message, or "" when w runs one.
func (w workload) scaledBy() string {
	switch {
	case w.hpa != "":
		return w.hpa
	case w.replicas > 1:
		return fmt.Sprintf("replicas %d (%s:%d)", w.replicas, w.file, w.replicasLine)
	}
	return ""
}

// readReplicas reads spec.replicas of a workload document d (Kubernetes'
// default: 1).
func (w *workload) readReplicas(d *yaml.Node) {
	w.replicas = 1
	if n, err := strconv.Atoi(scalar(get(d, "spec", "replicas"))); err == nil {
		w.replicas, w.replicasLine = n, keyLine(d, "spec", "replicas")
	}
}

// hpaTarget returns the workload an HPA document scales ("Deployment/api")
// and how a finding names the HPA, or "" when d is not an HPA.
func hpaTarget(file string, d *yaml.Node) (target, name string) {
	if scalar(get(d, "kind")) != "HorizontalPodAutoscaler" {
		return "", ""
	}
	ref := get(d, "spec", "scaleTargetRef")
	return scalar(get(ref, "kind")) + "/" + scalar(get(ref, "name")),
		fmt.Sprintf("HorizontalPodAutoscaler/%s (%s:%d)", scalar(get(d, "metadata", "name")), file, keyLine(d, "kind"))
}

// scaleWorkloads marks the workloads an HPA among hpas (target to name)
// scales.
func scaleWorkloads(ws []workload, hpas map[string]string) {
	for i := range ws {
		if h, ok := hpas[ws[i].name]; ok {
			ws[i].hpa = h
		}
	}
}

// checkReplicas applies connection-age-replicas to the server's workload.
func (v serverView) checkReplicas(w workload) []Finding {
	by := w.scaledBy()
	if by == "" || v.age.d > 0 {
		return nil
	}
	return []Finding{at(v.age, RuleConnectionAgeReplicas, SeverityWarning,
		fmt.Sprintf("%s is disabled, but %s runs with %s: keep-alive connections opened before a scale-out stay on the old replicas, which overload while new ones idle",
			v.age.key, w.name, by),
		fmt.Sprintf("remove %s to take harden's 5m, or set a positive age such as 5m", v.age.key))}
}
