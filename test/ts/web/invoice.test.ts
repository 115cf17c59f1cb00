/**
 * The web wallet's invoice text (web/src/invoice.ts): what the payee's page prints is what the payer's page
 * decodes, with checksummed addresses and a lowercase lock; anything else is refused with InvoiceFormatError
 * naming the part that is wrong.
 */
import { expect } from "chai";
import { Wallet, ZeroAddress, hexlify, randomBytes } from "ethers";

import { InvoiceFormatError, decodeInvoice, encodeInvoice } from "../../../web/src/invoice.js";

describe("web wallet invoices (web/src/invoice.ts)", () => {
  const to = Wallet.createRandom().address;
  const lockHash = hexlify(randomBytes(32));
  const invoice = { to, asset: ZeroAddress, amount: 250_000_000_000_000_000n, lockHash };

  it("test_invoice_roundTrips_throughItsText", () => {
    const text = encodeInvoice(invoice);
    expect(text).to.equal(`switchyard:${to}?asset=${ZeroAddress}&amount=250000000000000000&lock=${lockHash}`);
    expect(decodeInvoice(`  ${text}\n`)).to.deep.equal(invoice);
    const shouted = `switchyard:${to.toLowerCase()}?asset=${ZeroAddress}&amount=1&lock=${lockHash.toUpperCase().replace("0X", "0x")}`;
    expect(decodeInvoice(shouted)).to.deep.equal({ ...invoice, amount: 1n });
  });

  it("test_decodeInvoice_refusesEachMalformedPart_withInvoiceFormatError", () => {
    const good = encodeInvoice(invoice);
    const cases: Array<[string, RegExp]> = [
      ["", /does not start with "switchyard:"/],
      [good.replace("switchyard:", "ethereum:"), /does not start with/],
      [good.replace(to, "0x1234"), /the payee "0x1234" is not an address/],
      [good.replace(`asset=${ZeroAddress}`, "asset=eth"), /the asset "eth" is not an address/],
      [good.replace("amount=250000000000000000", "amount=0"), /the amount "0" is not a positive wei amount/],
      [good.replace("amount=250000000000000000", "amount=-5"), /not a positive wei amount/],
      [good.replace("amount=250000000000000000", "amount=1.5"), /not a positive wei amount/],
      [good.replace("amount=250000000000000000", `amount=${"9".repeat(79)}`), /not a positive wei amount/],
      [good.replace(lockHash, lockHash.slice(0, 40)), /is not a 32-byte hex hash/],
      [good.split("&lock=")[0] as string, /the lock "" is not a 32-byte hex hash/],
    ];
    for (const [text, reason] of cases) {
      let thrown: unknown;
      try {
        decodeInvoice(text);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, text).to.be.instanceOf(InvoiceFormatError);
      expect((thrown as InvoiceFormatError).code).to.equal("INVOICE_FORMAT");
      expect((thrown as Error).message, text).to.match(reason);
    }
  });
});
