/** The actor IAM's bootstrap writes policies and audit records as. */
export const BOOTSTRAP_ACTOR = 'keyward-bootstrap';
