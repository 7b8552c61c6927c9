package main

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/tokenplug/tokenplug/host"
)

// checkJSON is one provider in check --json's output. Unknown values are
// null: the version of a plugin that never started, the expiry of a token
// that never expires or was never fetched, the hosts of a failed provider,
// the fetch duration of a provider that made no upstream fetch (its token
// came from the shared cache, or its plugin was not found).
type checkJSON struct {
	Name                 string     `json:"name"`
	Plugin               string     `json:"plugin"`
	Version              *string    `json:"version"`
	Hosts                []string   `json:"hosts"`      // effective hosts: configured, else the plugin's defaults
	HostsFrom            *string    `json:"hosts_from"` // "configured" or "plugin default"
	OK                   bool       `json:"ok"`
	Error                *string    `json:"error"` // as on stderr: secrets redacted
	Expiry               *time.Time `json:"expiry"`
	SecondsToExpiry      *float64   `json:"seconds_to_expiry"`
	FetchDurationSeconds *float64   `json:"fetch_duration_seconds"` // plugin start included
}

// fetchDurations installs an OpenTelemetry SDK meter provider as the
// global one, which the registry's metrics then go to, and returns a func
// that reads each provider's total upstream fetch time from them
// (tokenplug.fetch.duration). The CLI runs one command per process, so
// the global is its own.
func fetchDurations() func() map[string]float64 {
	reader := metric.NewManualReader()
	otel.SetMeterProvider(metric.NewMeterProvider(metric.WithReader(reader)))
	return func() map[string]float64 {
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(context.Background(), &rm); err != nil {
			return nil // durations are then null
		}
		took := map[string]float64{}
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				h, ok := m.Data.(metricdata.Histogram[float64])
				if m.Name != "tokenplug.fetch.duration" || !ok {
					continue
				}
				for _, p := range h.DataPoints {
					if v, ok := p.Attributes.Value("tokenplug.provider"); ok {
						took[v.AsString()] += p.Sum
					}
				}
			}
		}
		return took
	}
}

// printCheckJSON prints results as one JSON object {"providers": [...]}.
func printCheckJSON(ctx context.Context, c *cli, reg *host.Registry, results []checkResult, took map[string]float64) error {
	out := struct {
		Providers []checkJSON `json:"providers"`
	}{Providers: make([]checkJSON, 0, len(results))}
	for _, r := range results {
		out.Providers = append(out.Providers, checkRow(ctx, reg, r, took))
	}
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// checkRow is r as JSON. A provider that is ok holds a cached token and a
// described plugin: nothing here starts a plugin or fetches.
func checkRow(ctx context.Context, reg *host.Registry, r checkResult, took map[string]float64) checkJSON {
	row := checkJSON{Name: r.name, Plugin: r.plugin, OK: r.err == nil}
	if d, ok := took[r.name]; ok {
		d = math.Round(d*1e6) / 1e6
		row.FetchDurationSeconds = &d
	}
	if r.err != nil {
		msg := oneLine(r.err.Error())
		row.Error = &msg
		return row
	}
	if r.version != "" {
		row.Version = &r.version
	}
	if src, err := reg.Source(r.name); err == nil {
		if hosts, from, err := src.EffectiveHosts(ctx); err == nil {
			row.Hosts, row.HostsFrom = hosts, &from
		}
	}
	if !r.expiry.IsZero() {
		exp := r.expiry.UTC()
		left := math.Round(time.Until(exp).Seconds())
		row.Expiry, row.SecondsToExpiry = &exp, &left
	}
	return row
}
