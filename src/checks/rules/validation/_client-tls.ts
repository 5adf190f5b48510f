// What Istio's webhook refuses in a DestinationRule's client-side `tls` (ClientTLSSettings, top-level, subset or
// port-level): istio/istio pkg/config/validation/agent/validation.go ValidateTLS.
import { isRecord } from '../../../mesh/object.js';
import type { PolicyProblem } from './_traffic-policy.js';

const set = (v: unknown): boolean => (typeof v === 'string' && v !== '') || (Array.isArray(v) && v.length > 0);

/**
 * The refusals of one `tls` block ({mode, credentialName, clientCertificate, privateKey, caCertificates, caCrl,
 * subjectAltNames, insecureSkipVerify}); paths are relative to the traffic policy. A MUTUAL policy reads the client
 * certificate and key from files unless `credentialName` names a Secret; SIMPLE/MUTUAL with `credentialName` take every
 * file from the Secret and refuse file fields beside it; `insecureSkipVerify` refuses the verification fields it skips.
 */
export function clientTlsProblems(tls: unknown): PolicyProblem[] {
  if (!isRecord(tls)) return [];
  const mode = typeof tls.mode === 'string' ? tls.mode : 'DISABLE';
  const out: PolicyProblem[] = [];
  const skip = tls.insecureSkipVerify === true;
  if (skip && mode === 'SIMPLE' && (set(tls.caCertificates) || set(tls.credentialName) || tls.subjectAltNames !== undefined)) {
    out.push(['cannot specify CaCertificates or CredentialName or SubjectAltNames when InsecureSkipVerify is set true: tls.insecureSkipVerify turns off ' +
      'the server verification those fields configure; remove insecureSkipVerify to verify the server, or remove them', ['tls', 'insecureSkipVerify']]);
  }
  if (skip && mode === 'MUTUAL' && (set(tls.caCertificates) || tls.subjectAltNames !== undefined)) {
    out.push(['cannot specify CaCertificates or SubjectAltNames when InsecureSkipVerify is set true: tls.insecureSkipVerify turns off ' +
      'the server verification those fields configure; remove insecureSkipVerify to verify the server, or remove them', ['tls', 'insecureSkipVerify']]);
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && set(tls.credentialName)) {
    const files = ['clientCertificate', 'caCertificates', 'privateKey', 'caCrl'].filter((k) => set(tls[k]));
    if (files.length > 0) {
      out.push([`cannot specify client certificates or CA certificate or CA CRL If credentialName is set: tls (mode ${mode}) names the Secret ` +
        `"${String(tls.credentialName)}" and also sets ${files.join(', ')}; put them into the Secret (tls.crt, tls.key, ca.crt, ca.crl) and remove ` +
        `${files.length === 1 ? 'it' : 'them'}, or drop credentialName and keep the files`, ['tls', files[0]!]]);
    }
    return out;
  }
  if (mode === 'MUTUAL') {
    const fix = 'set tls.credentialName to the Secret holding tls.crt, tls.key (and ca.crt), or mount the files and set clientCertificate and privateKey';
    if (!set(tls.clientCertificate)) out.push([`client certificate required for mutual tls: tls is MUTUAL without credentialName or clientCertificate; ${fix}`, ['tls', 'mode']]);
    if (!set(tls.privateKey)) out.push([`private key required for mutual tls: tls is MUTUAL without credentialName or privateKey; ${fix}`, ['tls', 'mode']]);
  }
  return out;
}

const CONFIGMAP_PREFIX = 'configmap://';

/**
 * What agent.ValidateTLS refuses in a `configmap://` credentialName of a `tls` block in namespace `namespace`
 * (credentials.ParseResourceName): the form is `configmap://<namespace>/<name>`, the namespace is required and must be
 * the DestinationRule's own (istiod reads the ConfigMap from the config cluster, and no other namespace's). Paths are
 * relative to the traffic policy.
 */
export function configMapCredentialProblems(tls: unknown, namespace: string): PolicyProblem[] {
  if (!isRecord(tls) || typeof tls.credentialName !== 'string' || !tls.credentialName.startsWith(CONFIGMAP_PREFIX)) return [];
  const name = tls.credentialName;
  const [ns, cm] = name.slice(CONFIGMAP_PREFIX.length).split('/');
  const fix = `write configmap://${namespace}/<name of a ConfigMap in ${namespace} holding the CA bundle (ca.crt)>`;
  let why: string | undefined;
  if (cm === undefined) why = `invalid resource name ${JSON.stringify(name)}. Expected namespace and name`;
  else if (ns === '') why = `invalid resource name ${JSON.stringify(name)}. Expected namespace`;
  else if (cm === '') why = `invalid resource name ${JSON.stringify(name)}. Expected name`;
  else if (ns !== namespace || namespace === '') why = `namespace must match the configuration namespace ${JSON.stringify(namespace)}`;
  return why ? [[`invalid configmap:// credentialName: ${why}: tls.credentialName is ${JSON.stringify(name)}; ${fix}`, ['tls', 'credentialName']]] : [];
}
