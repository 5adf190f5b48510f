/**
 * Counters and gauges named as Envoy names them, kept as plain numeric fields (an increment on the
 * hot path is one add), printed in Prometheus text format the way Envoy's `/stats/prometheus` does
 * with Istio's tag extraction: `envoy_cluster_upstream_rq_total{envoy_cluster_name="outbound|80||a"}`,
 * `envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="…"}`,
 * `envoy_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="…"}`.
 */

/** Per-cluster statistics (`cluster.<name>.*`). */
export class ClusterStats {
  upstream_rq_total = 0;
  upstream_rq_completed = 0;
  upstream_rq_active = 0;
  upstream_rq_timeout = 0;
  upstream_rq_retry = 0;
  upstream_rq_retry_success = 0;
  upstream_rq_retry_overflow = 0;
  upstream_rq_pending_overflow = 0;
  upstream_rq_rx_reset = 0;
  upstream_rq_tx_reset = 0;
  upstream_cx_total = 0;
  upstream_cx_active = 0;
  upstream_cx_connect_fail = 0;
  upstream_cx_connect_timeout = 0;
  upstream_cx_destroy_remote_with_active_rq = 0;
  upstream_cx_protocol_error = 0;
  upstream_cx_overflow = 0;
  upstream_cx_none_healthy = 0;
  outlier_detection_ejections_active = 0;
  outlier_detection_ejections_enforced_total = 0;
  outlier_detection_ejections_overflow = 0;
  outlier_detection_ejections_detected_consecutive_5xx = 0;
  outlier_detection_ejections_enforced_consecutive_5xx = 0;
  outlier_detection_ejections_detected_consecutive_gateway_failure = 0;
  outlier_detection_ejections_enforced_consecutive_gateway_failure = 0;
  outlier_detection_ejections_detected_consecutive_local_origin_failure = 0;
  outlier_detection_ejections_enforced_consecutive_local_origin_failure = 0;
  membership_healthy = 0;
  membership_total = 0;
  /** By status code. */
  readonly byCode = new Map<number, number>();

  /** Records a response status from upstream. */
  response(code: number): void {
    this.upstream_rq_completed++;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

/** Gauges among the ClusterStats fields (printed with `# TYPE … gauge`). */
const GAUGES = new Set(['upstream_rq_active', 'upstream_cx_active', 'outlier_detection_ejections_active', 'membership_healthy', 'membership_total']);

/** Per-HCM statistics (`http.<stat_prefix>.*`). */
export class HttpStats {
  downstream_rq_total = 0;
  downstream_rq_active = 0;
  downstream_rq_http1_total = 0;
  downstream_rq_http2_total = 0;
  downstream_rq_timeout = 0;
  downstream_rq_rx_reset = 0;
  downstream_cx_protocol_error = 0;
  no_route = 0;
  no_cluster = 0;
  rq_redirect = 0;
  rq_direct_response = 0;
  readonly byClass = [0, 0, 0, 0, 0, 0];

  response(code: number): void {
    const c = Math.floor(code / 100);
    if (c >= 1 && c <= 5) this.byClass[c]!++;
  }
}

/** Every stat of one proxy. */
export class StatsStore {
  readonly clusters = new Map<string, ClusterStats>();
  readonly http = new Map<string, HttpStats>();
  /** Listener counters: `listener.<address>.downstream_cx_total`. */
  readonly listeners = new Map<string, { downstream_cx_total: number; downstream_cx_active: number }>();
  /** Server-wide counters. */
  readonly server = { xds_nack_total: 0, xds_ack_total: 0, xds_reconnect_total: 0 };

  cluster(name: string): ClusterStats {
    let s = this.clusters.get(name);
    if (!s) this.clusters.set(name, (s = new ClusterStats()));
    return s;
  }

  httpPrefix(prefix: string): HttpStats {
    let s = this.http.get(prefix);
    if (!s) this.http.set(prefix, (s = new HttpStats()));
    return s;
  }

  listener(address: string) {
    let s = this.listeners.get(address);
    if (!s) this.listeners.set(address, (s = { downstream_cx_total: 0, downstream_cx_active: 0 }));
    return s;
  }

  /** Prometheus text exposition (version 0.0.4), series sorted by name then labels. */
  prometheus(): string {
    const series = new Map<string, { type: 'counter' | 'gauge'; lines: string[] }>();
    const add = (name: string, type: 'counter' | 'gauge', labels: Record<string, string>, value: number) => {
      let s = series.get(name);
      if (!s) series.set(name, (s = { type, lines: [] }));
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
      s.lines.push(`${name}${l ? `{${l}}` : ''} ${value}`);
    };
    for (const [cluster, st] of [...this.clusters].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const labels = { envoy_cluster_name: cluster };
      for (const [k, v] of Object.entries(st)) {
        if (typeof v !== 'number') continue;
        add(`envoy_cluster_${k}`, GAUGES.has(k) ? 'gauge' : 'counter', labels, v);
      }
      const classes = [0, 0, 0, 0, 0, 0];
      for (const [code, n] of [...st.byCode].sort((a, b) => a[0] - b[0])) {
        add('envoy_cluster_upstream_rq', 'counter', { envoy_response_code: String(code), ...labels }, n);
        classes[Math.floor(code / 100)]! += n;
      }
      for (let c = 1; c <= 5; c++) if (classes[c]) add('envoy_cluster_upstream_rq_xx', 'counter', { envoy_response_code_class: String(c), ...labels }, classes[c]!);
    }
    for (const [prefix, st] of [...this.http].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const labels = { envoy_http_conn_manager_prefix: prefix };
      for (const [k, v] of Object.entries(st)) {
        if (typeof v !== 'number') continue;
        add(`envoy_http_${k}`, k === 'downstream_rq_active' ? 'gauge' : 'counter', labels, v);
      }
      for (let c = 1; c <= 5; c++) add('envoy_http_downstream_rq_xx', 'counter', { envoy_response_code_class: String(c), ...labels }, st.byClass[c]!);
    }
    for (const [address, st] of [...this.listeners].sort(([a], [b]) => (a < b ? -1 : 1))) {
      add('envoy_listener_downstream_cx_total', 'counter', { envoy_listener_address: address }, st.downstream_cx_total);
      add('envoy_listener_downstream_cx_active', 'gauge', { envoy_listener_address: address }, st.downstream_cx_active);
    }
    for (const [k, v] of Object.entries(this.server)) add(`envoy_control_plane_${k}`, 'counter', {}, v);
    let out = '';
    for (const name of [...series.keys()].sort()) {
      const s = series.get(name)!;
      out += `# TYPE ${name} ${s.type}\n${s.lines.join('\n')}\n`;
    }
    return out;
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
