/**
 * The proxy's own failure kinds as Lambda reports them (`errorType`). Types only: index.ts holds the public
 * constants (`ProxyErrorType`) and must load no other module, so the name list lives here for the code that
 * raises the errors, and a type test keeps the two in step.
 */
export type ProxyErrorTypeName =
  | 'LambdaDebug.ChildCrashed'
  | 'LambdaDebug.DeadlineReached'
  | 'LambdaDebug.HandlerNotConfigured'
  | 'LambdaDebug.InternalError';
