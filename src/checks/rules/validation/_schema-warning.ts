/** The prefix `istioctl analyze` gives every IST0133 (SchemaWarning) message: `Schema validation warning: %v`. */
export const SCHEMA_WARNING = 'Schema validation warning:';
