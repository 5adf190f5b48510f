/**
 * The brand every {@link UsageError} carries, from the global symbol registry: the compiled CLI runs
 * most commands from lib/bundle/meshproof.cjs but loads some (`runtime`, the GitHub reporter) from
 * lib/src, so one error class exists twice and `instanceof` fails across the two; the brand does not.
 */
export const USAGE_ERROR_BRAND: unique symbol = Symbol.for('meshproof.UsageError') as never;

/** A bad command line: printed with a hint to `--help`, exit code 2. */
export class UsageError extends Error {
  readonly code = 'MESHPROOF_USAGE';
  readonly [USAGE_ERROR_BRAND] = true;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Whether `e` is a {@link UsageError} from any copy of this module (the bundle's or lib/src's):
 * by the brand, never by class identity.
 */
export function isUsageError(e: unknown): e is UsageError {
  return e instanceof Error && (e as unknown as Record<symbol, unknown>)[USAGE_ERROR_BRAND] === true;
}

/**
 * Whether `e` is a config error (`ConfigError` of src/checks/config, code `MESHPROOF_CONFIG_INVALID`)
 * from any copy of that module: by name and code, as {@link isUsageError} by its brand.
 */
export function isConfigError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'ConfigError' && (e as { code?: unknown }).code === 'MESHPROOF_CONFIG_INVALID';
}

export const USAGE = `Usage: meshproof <command> [options]

Commands:
  check [paths...]   Check Istio manifests (files or directories; - for stdin). Default path: dist/
  init [dir]         Scaffold a team repository in dir (default: .): apps/main.ts, cdk8s.yaml,
                     meshproof.config.yaml, PR workflow, Argo CD Application; then npm install
  proxy              Run the reference proxy (Envoy semantics), configured over ADS by xds serve
  rules              List the rule catalogue
  xds compile [paths...]  Write one Envoy config dump per proxy (/config_dump shape) to --out
  xds serve          Serve the translated config over ADS (gRPC), reloading when the inputs change
  xds client-cert    Issue a client certificate for an identity (<ns>/<sa>), for ADS over --tls
  verify [dir]       Prove every promise of the apps in dir (default: .) against its dist/:
                     exit 0 all held, 1 some broke, 2 could not run
  map [paths...]     Traffic map (gateways → routes → subsets with weights) as one offline HTML page
  runtime synth [dist] --out <dir> --image <ref>  In-cluster runtime manifests (xDS server, echo
                     backends, proxies, expectations Job)
  runtime smoke --plan <file>  Run the in-cluster runtime's gateway traffic test (in its Job)
  echo               Echo backend of the in-cluster runtime (HTTP/1.1 and h2c), answers who it is
  diff <base> <head>  Semantic diff of two synthesized trees (added, removed, changed fields, route weights)

Options for check:
  --format <f>       text | json | sarif | github   (default: the -o file's .sarif/.json, else text)
  -o, --output <file> Write the report to a file instead of stdout (written atomically)
  --fail-on <level>  error | warning | info | none: exit 1 on findings at or above it
                     (default: error; warning with --profile strict)
  -c, --config <file> Config file (default: meshproof.config.yaml in the current directory or above)
  --profile <p>      recommended | strict | istio-parity (overrides the config's profile)
  --sourcemap <file> Map from manifests to the TypeScript constructs that produced them
  --mesh-config <file>     MeshConfig (istioctl analyze --meshConfigFile); Istio's defaults otherwise
  --cluster-domain <name>  Kubernetes cluster domain (default cluster.local)
  --context <path>   Objects read for references only, never reported on (repeatable)
  --exclude <glob>   Leave out matching paths (repeatable; added to the config's exclude)
  --allow-empty      Pass when the input holds no Kubernetes object (default: exit 2)
  --max-input-size <size>  Bytes read in total, e.g. 64MiB (default: 64MiB)
  --max-documents <n>      YAML documents read in total (default: 200000)
  --max-aliases <n>        YAML alias expansions per document (default: 100)
  --max-nodes <n>          YAML nodes (scalars, collections, items) read in total (default: 1000000)
  --max-depth <n>          Nesting levels of YAML collections (default: 100)
  --max-scalar-length <n>  Characters in one YAML scalar (default: 2097152)
  --no-color         Never colour text output (also NO_COLOR=1; FORCE_COLOR=1 forces colour)

Options for init:
  -f, --force        Overwrite existing files (otherwise init refuses and writes nothing)
  --no-install       Do not run npm install
  --name <n>         Argo CD Application name (default: the folder name)
  --repo-url <url>   Git URL Argo CD syncs from (default: a placeholder to edit)
  --action <ref>     A GitHub Action (<owner>/meshproof@<ref>) for the PR workflow's checks
                     (default: the installed package, npx meshproof check and verify)

Options for map:
  -o, --out <file>   The HTML page to write (required; written atomically, missing folders made)
  --title <text>     Page title (default: meshproof traffic map)
  --allow-empty      Write an empty map when the input holds no Kubernetes object (default: exit 2)

Options for diff:
  --format <f>       text | json | markdown         (default: the -o file's .json/.md, else text)
  -o, --output <file> Write the diff to a file instead of stdout (written atomically)
  --max-fields <n>   Field rows shown per changed object in text and markdown (default: 25)
  --allow-empty      Compare a side that holds no Kubernetes object (default: exit 2)
  --no-color         Accepted as by check; this command prints no colour
  Exit codes: 0 the meshes are the same, 1 they differ, 2 a side cannot be read or is empty.

Options for proxy:
  --xds <h:p>        ADS address of the control plane (required), e.g. 127.0.0.1:15010
  --node <id>        Node id the control plane knows, e.g. default/productpage (required)
  --role <r>         sidecar | gateway                          (default: sidecar)
  --admin <h:p>      Admin server: /config_dump /stats/prometheus /ready (default: 127.0.0.1:15000)
  --prometheus <h:p> /stats/prometheus as Istio exposes it       (default: 0.0.0.0:15090)
  --readiness <h:p>  /healthz/ready as Istio exposes it          (default: 0.0.0.0:15021)
                     Each of the three accepts port 0 (a free port) or off
  --drain-timeout <ms>  In-flight requests get this long after SIGTERM (default: 5000)
  --access-log <f>   File, - for stdout, or off                  (default: -)
  --xds-ca <file>    Mutual TLS to xds serve --tls: the root its server certificate chains to
  --xds-cert <file>  (root-cert.pem), this proxy's certificate chain (cert-chain.pem) and key
  --xds-key <file>   (key.pem), as xds client-cert writes them; all three or none (default: plaintext)
  --xds-token <file> With --xds-ca (no --xds-cert/--xds-key needed): send this service-account token
                     as authorization: Bearer <token> to xds serve --tls --token-review (re-read
                     on each reconnect, so a rotated projected token is used)

Options for runtime synth:
  --out <dir>        Folder for runtime.k8s.yaml, expectations-job.k8s.yaml and
                     runtime-targets.json (the targets file of verify --runtime) (required)
  --image <ref>      The meshproof runtime image (runtime/Dockerfile) (required)
  --project <dir>    Project holding .meshproof/expectations.json (default: the folder above
                     dist; never the current folder; none found is exit 2)
  --pull-policy <p>  Always | IfNotPresent | Never               (default: IfNotPresent)

Options for runtime smoke:
  --plan <file>      Smoke plan written by runtime synth (required)
  --requests <n>     Requests per target after the first correct answer (default: 10)
  --wait <s>         Seconds to wait for a first correct answer   (default: 120)

Options for echo:
  --namespace <ns>   Namespace the backend reports (required)
  --workload <name>  Workload name the backend reports (required)
  --label <k=v>      Pod label it reports, e.g. version=v1 (repeatable)
  --listen <h:p>     Address to serve HTTP/1.1 and h2c on (repeatable) (default: 0.0.0.0:8080)
  --log              Print one line per request on stdout: time, method, host and path,
                     protocol, the status answered, any delay, (shadow) for a mirrored copy
  Request headers it obeys: x-echo-status: <200-599> answers that status;
                     x-echo-delay-ms: <ms> waits that long first (at most 60000)

Options for rules:
  --format <f>       text | json | markdown                     (default: text)
  --no-color         Accepted as by check; this command prints no colour

Options for xds compile:
  --out <dir>        Folder for <namespace>.<workload>.json (required; keep it outside the synced folder)
  --workloads <file> Endpoints: {"workloads":[{"name","namespace","address","labels","ports"}]};
                     "hostNetwork": true marks a pod on its node's address (several may share it)
  --proxyless        Proxyless gRPC nodes: api_listeners <fqdn>:<port> instead of sidecar listeners
  --no-check         Compile even when the check suite reports errors (default: exit 2, nothing written)
  -c, --config <file>, --mesh-config <file>, --cluster-domain <name>, --context <path>...,
  --exclude <glob>..., --max-input-size, --max-documents, --max-aliases, --max-nodes, --max-depth,
  --max-scalar-length
                     The mesh to compile, as for check (same meaning, same precedence over the config)

Options for verify:
  --app <name>       Only this app (chart); repeatable (default: every app with promises)
  --tests <file>     Route tests in the istio-config-validator YAML format; repeatable
  --format <f>       text | json | markdown         (default: the -o file's .json/.md, else text)
  -o, --output <file> Write the report to a file instead of stdout
  --static-only      Judge against the config only; send no traffic
  --runtime <file>   Send the traffic to a runtime verify did not start (the cluster's, or
                     xds serve + proxy + echo processes), as the targets file describes it
                     (runtime synth writes runtime-targets.json into its --out folder)
  --netns            Run each workload in its own network namespace (Linux, root, ip), as a
                     child process, instead of on its own 127.x.y.z; all removed at exit
  --confidence <c>   Confidence of share judgements (default: 0.999)
  --tolerance <t>    Smallest share deviation traffic must detect (default: 0.05)
  --no-check         Do not refuse a dist/ that fails the checks
  -v, --verbose      List held promises too
  --no-color         Accepted as by check; this command prints no colour

Options for xds serve:
  --input <path>     Manifests (files or folders; repeatable), watched for changes
  --workloads <file> Endpoints, as for xds compile (watched too)
  --kubeconfig <f>   Endpoints from the cluster instead (EndpointSlices and Pods, watched)
  --in-cluster       Endpoints from the cluster this runs in (service account)
  --listen <h:p>     ADS address (default: 127.0.0.1:15010); node ids <namespace>/<workload>
                     for sidecars and gateways, grpc:<namespace>/<workload> for proxyless gRPC,
                     or Istio's sidecar~<ip>~<pod>.<ns>~<ns>.svc.<domain>; placed proxies:
                     <ns>/<workload>?inbound=<pod ip>[&app=<ip>] (the sidecar's inbound side),
                     ?bind=<ip> (outbound listeners on <ip>), &as=<ns>/<sa> (that identity)
  --status <h:p>     Serve GET /status and /nacks (publish outcome, ACKs, NACKs) on this address
  --ca-cert <file>   CA certificate (and chain) for SDS certificates; with --ca-key. Default: a
  --ca-key <file>    throwaway in-memory CA for the mesh's trust domain
  --tls              ADS over mutual TLS: a server certificate from that CA, and every client must
                     present a certificate chained to it; a client may name only nodes of its
                     certificate's namespace (PERMISSION_DENIED otherwise), and SDS secrets go only
                     to their own identity. Without --tls streams are unauthenticated (said at start)
  --tls-name <name>  DNS name or IP the proxies dial, put in the server certificate (repeatable;
                     the --listen host is added unless it is 0.0.0.0 or ::)
  --token-review     With --tls and a cluster (--kubeconfig/--in-cluster): clients authenticate by
                     service-account token (metadata authorization: Bearer <token>, judged by a
                     TokenReview, kept 2 min or to the token's exp; at most 64 waiting), not
                     client certificate; as istiod's port 15012 with a JWT
  --token-audience <aud>  Audience of --token-review (repeatable; default: istio-ca)
  --issue-client-cert <ns>/<sa>=<dir>  With --tls: write a client certificate for that identity
                     from the serving CA (cert-chain.pem, key.pem, root-cert.pem) (repeatable)
  --no-check         Publish even when the check suite reports errors
  --settle <ms>      Read a change once the watched files have been unchanged this long, so a
                     file still being written is not loaded half-done (default: 1000; at most
                     10 s of waiting, then read as it is; 0: on the 250 ms debounce alone)
  -c, --config <file>, --mesh-config <file>, --cluster-domain <name>, --context <path>...,
  --exclude <glob>..., --max-input-size, --max-documents, --max-aliases, --max-nodes, --max-depth,
  --max-scalar-length
                     The mesh to serve, as for check; the files they name are watched too
  Runs until Ctrl-C or SIGTERM, then closes its listeners and ends by that signal (exit 130 / 143);
  exit 2 when it cannot start (an address in use, a first load rejected).

Options for xds client-cert:
  --identity <ns>/<sa>  The identity: SPIFFE URI SAN spiffe://<trust domain>/ns/<ns>/sa/<sa> (required)
  --out <dir>        Folder for cert-chain.pem, key.pem (mode 0600) and root-cert.pem (required)
  --ca-cert <file>   The mesh CA xds serve --tls runs with (required)
  --ca-key <file>    Its private key (required)
  --trust-domain <d> The mesh's trust domain (MeshConfig trustDomain) (default: cluster.local)
  --ttl <seconds>    Validity (default: 604800, 7 days)

Global options:
  -h, --help         Show this help
  -V, --version      Show the version

Exit codes: 0 no findings at or above --fail-on, 1 findings at or above --fail-on,
            2 usage or config error, or input that could not be read or parsed.
`;

/**
 * The usage of one command (`xds`) or sub-command (`xds serve`), cut from USAGE so the two never
 * disagree: its line(s) under "Commands:", its "Options for <command>…:" sections, and for `check`
 * the exit codes. Undefined for a name USAGE does not list.
 */
export function commandUsage(command: string): string | undefined {
  const blocks = USAGE.split('\n\n');
  const lines = (blocks.find((b) => b.startsWith('Commands:')) ?? '').split('\n').slice(1);
  const own: string[] = [];
  let inside = false;
  // `command` is one word (`xds`: every xds line) or a command and its sub-command (`xds serve`).
  const words = command.split(' ');
  for (const line of lines) {
    if (/^  \S/.test(line)) inside = line.slice(2).split(' ').slice(0, words.length).join(' ') === command;
    if (inside) own.push(line);
  }
  if (own.length === 0) return undefined;
  const synopses = own.filter((l) => /^  \S/.test(l)).map((l) => `meshproof ${l.slice(2).split(/ {2,}/)[0]} [options]`);
  const options = blocks.filter((b) => b.startsWith(`Options for ${command}:`) || b.startsWith(`Options for ${command} `));
  const exitCodes = command === 'check' ? blocks.filter((b) => b.startsWith('Exit codes:')) : [];
  const text = [`Usage: ${synopses.join('\n       ')}\n\n${own.join('\n')}`, ...options, 'Global options:\n  -h, --help         Show this help\n  -V, --version      Show the version', ...exitCodes].join('\n\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The line a usage error ends with, pointing at the command's own help. */
export function helpHint(command: string | undefined): string {
  return command !== undefined && commandUsage(command) !== undefined ? `Run 'meshproof ${command} --help' for usage.` : "Run 'meshproof --help' for usage.";
}
