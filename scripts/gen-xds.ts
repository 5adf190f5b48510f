/**
 * gen:xds — generates the typed Envoy v3 messages in src/xds/gen/ from Envoy's own .proto files.
 *
 *   npm run gen:xds               # regenerate src/xds/gen/ (commit the result)
 *   npm run gen:xds -- <dir>      # generate into another directory (the freshness test does this)
 *
 * Sources: the .proto files that ship inside the npm package `@grpc/grpc-js-xds` (deps/envoy-api,
 * deps/xds, deps/googleapis, deps/protoc-gen-validate; google/protobuf/* comes with buf). Compiler:
 * `buf` (npm `@bufbuild/buf`, a binary in a registry package) with the plugin `protoc-gen-es`
 * (`@bufbuild/protoc-gen-es`). `--type` prunes the image to the messages below and what they reference,
 * so only the types meshproof emits or reads are generated. docs/xds-protobuf.md says why.
 *
 * Vendored: `proto/istio-api/` holds .proto files copied verbatim (license header kept) from istio/api
 * for Istio's own Envoy extensions that no npm package ships (the `istio.alpn` HTTP filter's
 * `istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig`). It is one more buf module beside the
 * grpc-js-xds ones; a root type names its module in `XDS_TYPES` (default `envoy-api`).
 *
 * The generated code is committed: building, installing or running meshproof needs neither buf nor
 * @grpc/grpc-js-xds, only the runtime @bufbuild/protobuf.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Fully-qualified message (or service) names to generate, with the file that declares each and the
 * buf module holding that file (`envoy-api` unless given).
 */
export const XDS_TYPES: ReadonlyArray<readonly [typeName: string, file: string, module?: string]> = [
  ['envoy.config.listener.v3.Listener', 'envoy/config/listener/v3/listener.proto'],
  ['envoy.config.route.v3.RouteConfiguration', 'envoy/config/route/v3/route.proto'],
  ['envoy.config.cluster.v3.Cluster', 'envoy/config/cluster/v3/cluster.proto'],
  ['envoy.config.endpoint.v3.ClusterLoadAssignment', 'envoy/config/endpoint/v3/endpoint.proto'],
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', 'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto'],
  ['envoy.extensions.filters.http.router.v3.Router', 'envoy/extensions/filters/http/router/v3/router.proto'],
  ['envoy.extensions.filters.http.fault.v3.HTTPFault', 'envoy/extensions/filters/http/fault/v3/fault.proto'],
  ['envoy.extensions.filters.http.rbac.v3.RBAC', 'envoy/extensions/filters/http/rbac/v3/rbac.proto'],
  ['envoy.extensions.filters.http.rbac.v3.RBACPerRoute', 'envoy/extensions/filters/http/rbac/v3/rbac.proto'],
  ['envoy.extensions.filters.http.cors.v3.Cors', 'envoy/extensions/filters/http/cors/v3/cors.proto'],
  ['envoy.extensions.filters.http.cors.v3.CorsPolicy', 'envoy/extensions/filters/http/cors/v3/cors.proto'],
  ['envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', 'envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto'],
  ['envoy.extensions.filters.network.ext_authz.v3.ExtAuthz', 'envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto'],
  ['envoy.service.auth.v3.Authorization', 'envoy/service/auth/v3/external_auth.proto'],
  ['envoy.extensions.filters.network.rbac.v3.RBAC', 'envoy/extensions/filters/network/rbac/v3/rbac.proto'],
  ['envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', 'envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto'],
  ['envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', 'envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto'],
  ['envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', 'envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto'],
  ['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', 'envoy/extensions/transport_sockets/tls/v3/tls.proto'],
  ['envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', 'envoy/extensions/transport_sockets/tls/v3/tls.proto'],
  ['envoy.extensions.transport_sockets.tls.v3.Secret', 'envoy/extensions/transport_sockets/tls/v3/secret.proto'],
  ['envoy.extensions.upstreams.http.v3.HttpProtocolOptions', 'envoy/extensions/upstreams/http/v3/http_protocol_options.proto'],
  ['envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate', 'envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto'],
  ['envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', 'envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto'],
  ['envoy.service.discovery.v3.AggregatedDiscoveryService', 'envoy/service/discovery/v3/ads.proto'],
  ['istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig', 'envoy/config/filter/http/alpn/v2alpha1/config.proto', 'istio-api'],
];

const DEPS = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'] as const;
/** Vendored buf modules under `proto/` (see the module docstring). */
const VENDORED = ['istio-api'] as const;

/** Generates into `outDir` (emptied first). Throws with buf's own message when compilation fails. */
export function generateXds(outDir: string): void {
  const xds = path.join(root, 'node_modules', '@grpc', 'grpc-js-xds', 'deps');
  if (!fs.existsSync(xds)) throw new Error(`gen:xds: ${xds} is missing; run npm ci (the devDependency @grpc/grpc-js-xds ships the Envoy protos)`);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'meshproof-gen-xds-'));
  try {
    for (const dep of DEPS) fs.symlinkSync(path.join(xds, dep), path.join(ws, dep), 'dir');
    for (const v of VENDORED) fs.symlinkSync(path.join(root, 'proto', v), path.join(ws, v), 'dir');
    patchValidateProto(ws, xds);
    fs.writeFileSync(path.join(ws, 'buf.yaml'), `version: v2\nmodules:\n${[...DEPS, ...VENDORED].map((d) => `  - path: ${d}\n`).join('')}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    const template = {
      version: 'v2',
      plugins: [{
        local: path.join(root, 'node_modules', '.bin', 'protoc-gen-es'),
        out: path.resolve(outDir),
        include_imports: true,
        // One plugin run for every file (buf's default runs it once per directory: ~40 node starts,
        // each decoding the whole image; 10x slower). Same output: each file is generated alone.
        strategy: 'all',
        opt: ['target=ts', 'import_extension=js', 'json_types=true'],
      }],
    };
    const args = ['generate', '--template', JSON.stringify(template)];
    for (const [type, file, module = 'envoy-api'] of XDS_TYPES) args.push('--type', type, '--path', `${module}/${file}`);
    execFileSync(path.join(root, 'node_modules', '.bin', 'buf'), args, { cwd: ws, stdio: ['ignore', 'inherit', 'inherit'] });
  } finally {
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

/**
 * The validate.proto bundled in grpc-js-xds predates the Envoy protos beside it: Envoy sets
 * `(validate.rules).string.ignore_empty` (StringRules field 26), which that copy lacks, and buf (like
 * protoc) refuses unknown option fields. The field is a validation annotation and never on the wire of
 * any Envoy message, so declaring it in a private copy changes no generated message.
 */
function patchValidateProto(ws: string, xds: string): void {
  fs.rmSync(path.join(ws, 'protoc-gen-validate'));
  const src = fs.readFileSync(path.join(xds, 'protoc-gen-validate', 'validate', 'validate.proto'), 'utf8');
  const anchor = /( *optional bool strict = 25 \[default = true\];)(\r?\n)/;
  if (!anchor.test(src)) throw new Error('gen:xds: validate.proto changed shape (StringRules.strict not found); revisit patchValidateProto');
  const patched = src.includes('ignore_empty = 26') ? src : src.replace(anchor, '$1$2  optional bool ignore_empty = 26;$2');
  fs.mkdirSync(path.join(ws, 'protoc-gen-validate', 'validate'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'protoc-gen-validate', 'validate', 'validate.proto'), patched);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const out = process.argv[2] ?? path.join(root, 'src', 'xds', 'gen');
  const t0 = performance.now();
  generateXds(out);
  console.log(`gen:xds: wrote ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
