/** In-process counters for /metrics (Prometheus text format). */
export class Metrics {
  private webhooks = new Map<string, number>();
  private buckets = [1, 2, 5, 10, 25, 50, 100, 250, 1000];
  private hist = new Array(this.buckets.length + 1).fill(0);
  private latencySum = 0;
  private latencyCount = 0;
  mangoApiErrors = 0;
  connectedApps = 0;

  webhook(path: string, outcome: 'stored' | 'duplicate' | 'failed', ms: number) {
    const k = `${path.split('/').slice(0, 2).join('/')}|${outcome}`;
    this.webhooks.set(k, (this.webhooks.get(k) ?? 0) + 1);
    const i = this.buckets.findIndex((b) => ms <= b);
    this.hist[i < 0 ? this.buckets.length : i]++;
    this.latencySum += ms;
    this.latencyCount++;
  }

  render(extra: Record<string, number> = {}): string {
    const lines = ['# TYPE asgard_webhooks_total counter'];
    for (const [k, v] of this.webhooks) {
      const [path, outcome] = k.split('|');
      lines.push(`asgard_webhooks_total{path="${path}",outcome="${outcome}"} ${v}`);
    }
    lines.push('# TYPE asgard_ingest_latency_ms histogram');
    let cum = 0;
    this.buckets.forEach((b, i) => {
      cum += this.hist[i];
      lines.push(`asgard_ingest_latency_ms_bucket{le="${b}"} ${cum}`);
    });
    cum += this.hist[this.buckets.length];
    lines.push(`asgard_ingest_latency_ms_bucket{le="+Inf"} ${cum}`, `asgard_ingest_latency_ms_sum ${this.latencySum}`, `asgard_ingest_latency_ms_count ${this.latencyCount}`);
    lines.push(`# TYPE asgard_connected_apps gauge`, `asgard_connected_apps ${this.connectedApps}`);
    lines.push(`# TYPE asgard_mango_api_errors_total counter`, `asgard_mango_api_errors_total ${this.mangoApiErrors}`);
    for (const [k, v] of Object.entries(extra)) lines.push(`# TYPE ${k} gauge`, `${k} ${v}`);
    return lines.join('\n') + '\n';
  }
}
