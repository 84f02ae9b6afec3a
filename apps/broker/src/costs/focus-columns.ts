import type { ProviderId } from '#libs/runtime-spec';
import { runtimeModuleById } from '../runtimes/runtime-modules.js';
import type { ExportRow } from './cost.repository.js';
import type { FocusVersion } from './cost.schemas.js';
import { priceUnitDefinitions } from './price-units.js';

/** A row with what the whole export shares. */
export interface ExportContext {
  tenantId: string;
  tenantName: string;
}

export type ColumnKind = 'string' | 'decimal' | 'json';

export interface ExportColumn {
  name: string;
  kind: ColumnKind;
  value(row: ExportRow, context: ExportContext): string | Record<string, string> | null;
}

/** Who sells, hosts and invoices a row's runtime (its module's `vendor`), for FOCUS's provider columns; a runtime no longer registered is named by its id. */
const service = (row: ExportRow) =>
  Object.hasOwn(runtimeModuleById, row.provider) ? runtimeModuleById[row.provider as ProviderId].vendor : { company: row.provider, serviceName: row.provider };
const column = (name: string, kind: ColumnKind, value: ExportColumn['value']): ExportColumn => ({ name, kind, value });
const text = (name: string, value: ExportColumn['value']) => column(name, 'string', value);
const decimal = (name: string, value: (row: ExportRow) => string) => column(name, 'decimal', value);

/**
 * The prefix of every tag the broker sets (FOCUS Tags-C-012-M: provider-defined
 * keys carry a provider prefix). The export carries no user-defined tags.
 */
export const providerTagPrefix = 'switchboard/';

/**
 * FOCUS columns (FinOps FOCUS 1.2; 1.3 adds ServiceProviderName and
 * HostProviderName, keeping the deprecated ProviderName and PublisherName),
 * one row per charge line: a session's charge type within one clock hour.
 *
 * Cost columns: the price book holds the price the enterprise pays, so
 * List, Contracted, Effective and Billed cost are the same exact amount, and
 * ListCost = PricingQuantity × ListUnitPrice holds digit for digit (no
 * rounding: amounts carry every decimal the product has). Custom columns
 * come last, `x_`-prefixed as FOCUS requires.
 *
 * Carrying ResourceId, SkuId and SkuPriceId claims billing per provisioned
 * resource and unit pricing from a price list, which makes ResourceName,
 * SkuMeter and SkuPriceDetails required (README, "FOCUS exports"). The
 * runtimes do not let a tenant see or choose where they run, so the 1.3
 * HostProviderName is the service provider's name, as the 1.3 text says.
 */
function focusColumns(version: FocusVersion): ExportColumn[] {
  const cost = (name: string) => decimal(name, (row) => row.cost);
  return [
    text('BillingAccountId', (_row, context) => context.tenantId),
    text('BillingAccountName', (_row, context) => context.tenantName),
    text('BillingCurrency', () => 'USD'),
    text('BillingPeriodStart', (row) => row.billing_period_start),
    text('BillingPeriodEnd', (row) => row.billing_period_end),
    text('ChargePeriodStart', (row) => row.charge_period_start),
    text('ChargePeriodEnd', (row) => row.charge_period_end),
    text('ChargeCategory', () => 'Usage'),
    text('ChargeClass', (row) => row.charge_class),
    text('ChargeDescription', (row) => `${service(row).serviceName} ${priceUnitDefinitions[row.unit].label}, per ${priceUnitDefinitions[row.unit].per}${row.source === 'session-reconciliation' ? ' (session reconciliation)' : ''}`),
    text('ChargeFrequency', () => 'Usage-Based'),
    cost('BilledCost'),
    cost('EffectiveCost'),
    cost('ListCost'),
    cost('ContractedCost'),
    decimal('ListUnitPrice', (row) => row.unit_price),
    decimal('ContractedUnitPrice', (row) => row.unit_price),
    text('PricingCategory', () => 'Standard'),
    decimal('PricingQuantity', (row) => row.pricing_quantity),
    text('PricingUnit', (row) => priceUnitDefinitions[row.unit].pricingUnit),
    decimal('ConsumedQuantity', (row) => row.consumed_quantity),
    text('ConsumedUnit', (row) => priceUnitDefinitions[row.unit].consumedUnit),
    text('InvoiceIssuerName', (row) => service(row).company),
    text('ProviderName', (row) => service(row).company),
    text('PublisherName', (row) => service(row).company),
    ...(version === '1.3' ? [text('ServiceProviderName', (row) => service(row).company), text('HostProviderName', (row) => service(row).company)] : []),
    text('ServiceCategory', () => 'AI and Machine Learning'),
    text('ServiceName', (row) => service(row).serviceName),
    text('ServiceSubcategory', () => 'AI Platforms'),
    text('ResourceId', (row) => row.session_id),
    text('ResourceName', (row) => `${row.agent_name} session for ${row.user_id}`),
    text('ResourceType', () => 'Agent Session'),
    text('SkuId', (row) => `${row.provider}/${row.unit}`),
    text('SkuMeter', (row) => priceUnitDefinitions[row.unit].meter),
    text('SkuPriceId', (row) => `${row.provider}/${row.unit}/v${row.price_book_version}`),
    // Not FOCUS-defined properties, hence x_ (SkuPriceDetails-C-017-C); values as text keep the price exact.
    column('SkuPriceDetails', 'json', (row) => ({
      x_ChargeType: row.unit,
      x_PricingUnit: priceUnitDefinitions[row.unit].pricingUnit,
      x_UnitPriceUsd: row.unit_price,
      x_PriceBookVersion: String(row.price_book_version),
    })),
    column('Tags', 'json', (row, context) => ({
      [`${providerTagPrefix}tenant`]: context.tenantId,
      [`${providerTagPrefix}user`]: row.user_id,
      [`${providerTagPrefix}agent`]: row.agent_id,
      [`${providerTagPrefix}provider`]: row.provider,
      [`${providerTagPrefix}session`]: row.session_id,
    })),
    text('x_TenantId', (_row, context) => context.tenantId),
    text('x_UserId', (row) => row.user_id),
    text('x_PrincipalId', (row) => row.principal_id),
    text('x_AgentId', (row) => row.agent_id),
    text('x_CostBasis', (row) => row.cost_basis),
    text('x_PriceBookVersion', (row) => String(row.price_book_version)),
    // What the line prices: a turn, or the difference an ended session's reconciliation found (it may be negative).
    text('x_ChargeSource', (row) => row.source),
  ];
}

/** The broker's own flat CSV (`format=csv`): the same lines in plain names. */
const plainColumns: ExportColumn[] = [
  text('chargePeriodStart', (row) => row.charge_period_start),
  text('chargePeriodEnd', (row) => row.charge_period_end),
  text('tenant', (_row, context) => context.tenantId),
  text('user', (row) => row.user_id),
  text('agent', (row) => row.agent_id),
  text('provider', (row) => row.provider),
  text('session', (row) => row.session_id),
  text('principal', (row) => row.principal_id),
  text('chargeType', (row) => row.unit),
  decimal('consumedQuantity', (row) => row.consumed_quantity),
  text('consumedUnit', (row) => priceUnitDefinitions[row.unit].consumedUnit),
  decimal('pricingQuantity', (row) => row.pricing_quantity),
  text('pricingUnit', (row) => priceUnitDefinitions[row.unit].pricingUnit),
  decimal('unitPriceUsd', (row) => row.unit_price),
  decimal('costUsd', (row) => row.cost),
  text('costBasis', (row) => row.cost_basis),
  text('priceBookVersion', (row) => String(row.price_book_version)),
  text('chargeSource', (row) => row.source),
  text('chargeClass', (row) => row.charge_class),
];

export function exportColumns(format: 'focus-csv' | 'focus-jsonl' | 'csv', version: FocusVersion): ExportColumn[] {
  return format === 'csv' ? plainColumns : focusColumns(version);
}
