/**
 * Something routes can send traffic to: a mesh service (with subsets, one per version) or an
 * external host. Implemented by `MeshService` and `ExternalService`; `Destination` objects made
 * from it are what route constructs take.
 */
export interface IRoutable {
  /** The host as it should appear in a VirtualService destination (FQDN for mesh services). */
  readonly host: string;
  /** Namespace the host belongs to (for mesh services) or the namespace of the ServiceEntry. */
  readonly namespace: string;
  /** Subset names a DestinationRule defines for this host (one per version for mesh services). */
  readonly subsetNames: readonly string[];
  /** Port numbers the host serves. Routes to a multi-port host must name a port. */
  readonly portNumbers: readonly number[];
  /**
   * The ports whose requests take `http` routes (HTTP, HTTP2 or gRPC): route constructs naming one
   * of several such ports match on it. @default all of `portNumbers`
   */
  readonly httpPortNumbers?: readonly number[];
}

/** Where a route sends requests: a host, optionally a subset of it and a port. */
export interface Destination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: number;
}
