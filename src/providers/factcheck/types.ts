import type { components, operations } from './__generated__/openapi.js';

type Schemas = components['schemas'];
/** `GET /v1/batch/{id}` 200 body (openapi/factcheck.openapi.yaml). */
export type FactCheckWireBatch = Schemas['Batch'];
/** One `GET /v1/batch` list item. */
export type FactCheckWireBatchSummary = Schemas['BatchSummary'];
/** One `validationErrors[]` row. */
export type FactCheckWireValidationError = NonNullable<Schemas['Batch']['validationErrors']>[number];
/** One item of `GET /v1/batch/{id}/results`. */
export type FactCheckWireItem = Schemas['BatchItem'];
/** `GET /v1/batch` 200 body. */
export type FactCheckListResponse = operations['listBatches']['responses'][200]['content']['application/json'];
/** Check's error envelope `{error:{code,message,details?,requestId?,retryAfter?}}`. */
export type FactCheckWireError = Schemas['Error'];
/** `GET /v1/batch/{id}/results` 200 body. */
export type FactCheckResultsResponse = operations['getBatchResults']['responses'][200]['content']['application/json'];
/** `POST /v1/batch` request body. */
export type FactCheckCreateRequest = Schemas['CreateBatchRequest'];
/** `POST /v1/batch` 202 body. */
export type FactCheckCreatedBatch = Schemas['CreatedBatch'];
/** `POST /v1/batch/upload` 200 body. */
export type FactCheckUploadedFile = Schemas['UploadedFile'];
/** `POST /v1/batch/upload` 400 body whose `error` is a plain string. */
export type FactCheckFileParsingFailed = Schemas['FileParsingFailed'];
