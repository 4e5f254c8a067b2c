import type { operations } from './__generated__/openapi.js';

/** `GET /api/batches/{batchId}` 200 body, as generated from openapi/reach.openapi.yaml. */
export type ReachGetBatchResponse = operations['getBatch']['responses'][200]['content']['application/json'];
/** The batch object inside `data`. */
export type ReachWireBatch = NonNullable<ReachGetBatchResponse['data']>;
/** `errors` of a Reach batch. */
type ReachWireErrors = NonNullable<ReachWireBatch['errors']>;
/** One `pendingResources[]` item. */
export type ReachWirePendingResource = NonNullable<ReachWireBatch['pendingResources']>[number];
/** One `missingDependencies[]` item. */
export type ReachWireMissingDependency = ReachWirePendingResource['missingDependencies'][number];
/** One `errors.details[externalId]` value. */
export type ReachWireRecordError = NonNullable<ReachWireErrors['details']>[string];
/** Query parameters of `GET /api/batches`. */
export type ReachListQuery = NonNullable<operations['listBatches']['parameters']['query']>;
/** `GET /api/batches` 200 body. */
export type ReachListResponse = operations['listBatches']['responses'][200]['content']['application/json'];
/** The 202 body of `POST`/`PATCH`/`DELETE /api/resources/{schema}/batch`. */
export type ReachWriteAccepted = operations['createResourcesBatch']['responses'][202]['content']['application/json'];
