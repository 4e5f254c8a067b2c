/** Check batch ids are `batch_` plus an alphanumeric suffix (12 hex characters in practice). */
export const FACT_CHECK_ID = /^batch_[A-Za-z0-9]{1,64}$/;
