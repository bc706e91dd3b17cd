import { type Customer, type CustomerData } from '@app/domain';
import { type CustomerPatch, type LinkDrift, type ReconcileRequest } from '@app/application';

import {
  type CreateCustomerBody,
  type ReconcileBody,
  type UpdateCustomerBody,
} from './customer-requests.dto';
import { type CustomerResponse, type DriftResponse } from './customer-responses.dto';

const iso = (date: Date | undefined) => date?.toISOString() ?? null;

/** The response is built field by field, so nothing stored is ever exposed by accident. */
export function toCustomerResponse(customer: Customer): CustomerResponse {
  return {
    id: customer.id,
    externalReference: customer.externalReference ?? null,
    email: customer.email ?? null,
    givenName: customer.givenName ?? null,
    familyName: customer.familyName ?? null,
    companyName: customer.companyName ?? null,
    phone: customer.phone ?? null,
    address: customer.address ?? null,
    locale: customer.locale ?? null,
    type: customer.type ?? null,
    enabled: customer.enabled,
    metadata: customer.metadata,
    taxIdentifiers: customer.taxIdentifiers,
    taxCertificates: customer.taxCertificates,
    sources: customer.sourceIds,
    defaultSourceId: customer.defaultSourceId ?? null,
    forgotten: customer.forgottenAt !== undefined,
    forgottenAt: iso(customer.forgottenAt),
    deletedAt: iso(customer.deletedAt),
    version: customer.version,
    createdAt: customer.createdAt.toISOString(),
    updatedAt: customer.updatedAt.toISOString(),
    providers: customer.providers.map((link) => ({
      provider: link.provider,
      account: link.account,
      reference: link.reference,
      providerCustomerId: link.providerCustomerId ?? null,
      status: link.status,
      intent: link.intent,
      syncedVersion: link.syncedVersion ?? null,
      attempts: link.attempts,
      nextAttemptAt: iso(link.nextAttemptAt),
      lastSyncedAt: iso(link.lastSyncedAt),
      lastError: link.lastError ?? null,
      unsupportedFields: link.unsupportedFields,
      lossyFields: link.lossyFields,
      erasure: link.erasure ?? null,
      primary: link.primary,
    })),
  };
}

/** Plain objects only: the class instances class-transformer built must not reach the database. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A create's fields without their nulls: there `null` means none, as a GET answers it. */
function withoutNulls<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) as {
    [K in keyof T]: Exclude<T[K], null>;
  };
}

export function toCustomerData(body: CreateCustomerBody): CustomerData {
  const {
    metadata,
    taxIdentifiers,
    taxCertificates,
    enabled,
    sources,
    defaultSourceId,
    providers: _targets,
    ...fields
  } = withoutNulls(plain(body));
  return {
    ...fields,
    enabled: enabled ?? true,
    metadata: metadata ?? {},
    taxIdentifiers: taxIdentifiers ?? [],
    taxCertificates: taxCertificates ?? [],
    sourceIds: [...new Set(sources ?? [])],
    ...(defaultSourceId !== undefined ? { defaultSourceId } : {}),
  };
}

export function toCustomerPatch(body: UpdateCustomerBody): CustomerPatch {
  return plain<CustomerPatch>(body);
}

export function toReconcileRequest(body: ReconcileBody): ReconcileRequest {
  return {
    strategy: body.strategy,
    fields: { ...body.fields },
    ...(body.from ? { from: { ...body.from } } : {}),
  };
}

/** Drift as answered: a field one side does not hold is null there, as a customer answers it. */
export function toDriftResponse(links: LinkDrift[]): DriftResponse {
  return {
    data: links.map((link) => ({
      ...link,
      fields: link.fields.map(({ field, at, ours, theirs }) => ({
        field,
        ...(at === undefined ? {} : { at }),
        ours: ours ?? null,
        theirs: theirs ?? null,
      })),
    })),
  };
}
