/** One reason the Kubernetes API server would reject an Istio or Gateway API object. */
export interface SchemaViolation {
  /** JSON path segments into the object, e.g. ['spec','http',0,'timeout'] */
  readonly path: readonly (string | number)[];
  /** human message: what is wrong and what is allowed, e.g. 'spec.http[0].timeout: must be a valid duration greater than 1ms (got "0.5ms")' */
  readonly message: string;
  /** 'schema' for OpenAPI structural/type errors, 'cel' for x-kubernetes-validations rules, 'unknown-kind' when the apiVersion/kind is a validated group but no served version matches */
  readonly kind: 'schema' | 'cel' | 'unknown-kind';
  /** the CEL rule text for kind 'cel' */
  readonly rule?: string;
}

export type Path = readonly (string | number)[];

/**
 * The subset of a Kubernetes structural schema (`JSONSchemaProps`) that validation reads.
 * Kubernetes extensions keep their `x-kubernetes-*` names.
 */
export interface StructuralSchema {
  readonly type?: string;
  readonly format?: string;
  readonly nullable?: boolean;
  /** Value the API server sets when the field is missing (or a non-nullable null), before validating. */
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, StructuralSchema>>;
  readonly additionalProperties?: StructuralSchema | boolean;
  readonly items?: StructuralSchema;
  readonly oneOf?: readonly StructuralSchema[];
  readonly anyOf?: readonly StructuralSchema[];
  readonly allOf?: readonly StructuralSchema[];
  readonly not?: StructuralSchema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly 'x-kubernetes-embedded-resource'?: boolean;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-validations'?: readonly ValidationRule[];
  readonly [keyword: string]: unknown;
}

/** One `x-kubernetes-validations` entry. */
export interface ValidationRule {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
  readonly optionalOldSelf?: boolean;
}
