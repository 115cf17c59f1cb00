/**
 * An invoice as text the payee hands its payer (a copy, a message, a QR code):
 * `switchyard:<payee>?asset=<asset>&amount=<wei>&lock=<lock hash>`. The payee's client made it (`invoice()`:
 * a fresh preimage kept in the payee's store, only its sha256 `lockHash` leaves it); the payer's client pays it
 * through the node (`pay(invoice)`), which forwards the lock to the payee, who claims it with the preimage.
 */
import { getAddress, isAddress, isHexString } from "ethers";

import type { Invoice } from "../../src/client/types.js";
import { SwitchyardError } from "../../src/protocol/errors.js";

/** The text is not an invoice this page can pay. */
export class InvoiceFormatError extends SwitchyardError {
  constructor(reason: string) {
    super("INVOICE_FORMAT", `not a Switchyard invoice: ${reason}`);
  }
}

const SCHEME = "switchyard:";

export function encodeInvoice(invoice: Invoice): string {
  const query = new URLSearchParams({
    asset: invoice.asset,
    amount: invoice.amount.toString(),
    lock: invoice.lockHash,
  });
  return `${SCHEME}${invoice.to}?${query.toString()}`;
}

export function decodeInvoice(text: string): Invoice {
  const trimmed = text.trim();
  if (!trimmed.startsWith(SCHEME)) throw new InvoiceFormatError(`it does not start with "${SCHEME}"`);
  const [to = "", query = ""] = trimmed.slice(SCHEME.length).split("?", 2);
  if (!isAddress(to)) throw new InvoiceFormatError(`the payee "${to}" is not an address`);
  const params = new URLSearchParams(query);
  const asset = params.get("asset") ?? "";
  const amount = params.get("amount") ?? "";
  const lock = params.get("lock") ?? "";
  if (!isAddress(asset)) throw new InvoiceFormatError(`the asset "${asset}" is not an address`);
  if (!/^[1-9][0-9]{0,77}$/.test(amount))
    throw new InvoiceFormatError(`the amount "${amount}" is not a positive wei amount`);
  if (!isHexString(lock, 32)) throw new InvoiceFormatError(`the lock "${lock}" is not a 32-byte hex hash`);
  return { to: getAddress(to), asset: getAddress(asset), amount: BigInt(amount), lockHash: lock.toLowerCase() };
}
