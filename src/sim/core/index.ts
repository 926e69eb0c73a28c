/**
 * The lab core: a small LwM2M server (registration interface, Read / Write / Execute with CoAP
 * retransmission) and its HTTP JSON API, for labs, tests and demos. Not a product.
 */
export { LabCore, type LabCoreEvents, type LabCoreOptions, type LabCoreRequestOptions, type LabCoreStats } from './lab-core.ts';
export { LabCoreHttpApi, MAX_HTTP_BODY_BYTES, responseJson, type LabCoreHttpApiOptions } from './lab-core-http.ts';
export { LAB_CORE_FAILURE_CODES, LabCoreRequestError, type LabCoreFailure } from './lab-core-errors.ts';
export { lwm2mPathSegments, type LabCoreRequest, type LabCoreResponse } from './lwm2m-request.ts';
export { REGISTRATION_ID_LENGTH, type LabCoreClient } from './registration-table.ts';
export { DEFAULT_BINDING, DEFAULT_LIFETIME_SEC, DEFAULT_LWM2M_VERSION, REGISTRATION_PATH } from './registration-interface.ts';
export { TOKEN_LENGTH, type DownlinkStats, type RetransmissionOptions } from './downlink-exchanges.ts';
