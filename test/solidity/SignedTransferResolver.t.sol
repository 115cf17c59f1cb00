// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IResolver} from "../../contracts/interfaces/IResolver.sol";
import {ISignedTransferResolver} from "../../contracts/interfaces/ISignedTransferResolver.sol";
import {SignedTransferResolver} from "../../contracts/resolvers/SignedTransferResolver.sol";
import {MockERC1271Wallet} from "../../contracts/test/mocks/MockERC1271Wallet.sol";
import {TestBase} from "./utils/TestBase.sol";

contract SignedTransferResolverTest is TestBase {
    SignedTransferResolver internal resolver;
    MockERC1271Wallet internal wallet;

    uint256 internal constant SIGNER_KEY = 0x5167E4;
    uint256 internal constant OTHER_KEY = 0xBADBAD;
    uint256 internal constant AMOUNT = 10 ether;
    bytes32 internal constant TRANSFER_ID = keccak256("transfer");
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    address internal signer;
    bytes internal outcome = abi.encode("oracle says: team A won", uint256(3));

    function setUp() public {
        resolver = new SignedTransferResolver();
        signer = vm.addr(SIGNER_KEY);
        wallet = new MockERC1271Wallet(signer);
    }

    // ------------------------------------------------------------------ helpers

    function _terms(address who) internal pure returns (bytes memory) {
        return abi.encode(who);
    }

    function _sign(
        uint256 key,
        bytes32 id,
        uint256 toResponder,
        bytes memory data
    ) internal view returns (bytes memory) {
        return signDigest(key, resolver.outcomeDigest(id, toResponder, data));
    }

    function _evidence(uint256 toResponder, bytes memory data, bytes memory sig) internal pure returns (bytes memory) {
        return abi.encode(toResponder, data, sig);
    }

    function _manualDigest(
        address verifyingContract,
        bytes32 id,
        uint256 toResponder,
        bytes memory data
    ) internal view returns (bytes32) {
        bytes32 separator = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256("Switchyard SignedTransferResolver"),
                keccak256("1"),
                block.chainid,
                verifyingContract
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)"),
                id,
                toResponder,
                keccak256(data)
            )
        );
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    function _expectBadSignature(address who) internal {
        vm.expectRevert(abi.encodeWithSelector(ISignedTransferResolver.InvalidOutcomeSignature.selector, who));
    }

    // ------------------------------------------------------------------ hashing

    function test_typehash_matchesItsTypeString() public view {
        assertEq(
            resolver.TRANSFER_OUTCOME_TYPEHASH(),
            keccak256("TransferOutcome(bytes32 transferId,uint256 toResponder,bytes outcomeData)"),
            "type hash"
        );
    }

    function test_domainSeparator_matchesEip712() public view {
        bytes32 expected = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH,
                keccak256("Switchyard SignedTransferResolver"),
                keccak256("1"),
                block.chainid,
                address(resolver)
            )
        );
        assertEq(resolver.domainSeparator(), expected, "domain separator");
    }

    function test_eip712Domain_reportsTheDomain() public view {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract, , ) = resolver
            .eip712Domain();
        assertEq(keccak256(bytes(name)), keccak256("Switchyard SignedTransferResolver"), "name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifyingContract, address(resolver), "verifying contract");
    }

    function test_outcomeDigest_matchesManualComputation() public view {
        assertEq(
            resolver.outcomeDigest(TRANSFER_ID, 7, outcome),
            _manualDigest(address(resolver), TRANSFER_ID, 7, outcome),
            "digest"
        );
    }

    function test_decodeTerms_returnsTheSigner() public view {
        assertEq(resolver.decodeTerms(_terms(signer)), signer, "signer");
    }

    // ------------------------------------------------------------------ validate

    function test_validate_acceptsWellFormedTerms() public view {
        resolver.validate(_terms(signer), AMOUNT);
        resolver.validate(_terms(address(wallet)), 1);
    }

    function test_validate_revertsOnZeroSigner() public {
        vm.expectRevert(ISignedTransferResolver.ZeroSigner.selector);
        resolver.validate(_terms(address(0)), AMOUNT);
    }

    function test_validate_revertsOnZeroAmount() public {
        vm.expectRevert(ISignedTransferResolver.ZeroAmount.selector);
        resolver.validate(_terms(signer), 0);
    }

    function test_validate_revertsOnWrongLength() public {
        vm.expectRevert(abi.encodeWithSelector(ISignedTransferResolver.InvalidTermsLength.selector, 32, 20));
        resolver.validate(abi.encodePacked(signer), AMOUNT);
        vm.expectRevert(abi.encodeWithSelector(ISignedTransferResolver.InvalidTermsLength.selector, 32, 64));
        resolver.validate(abi.encode(signer, uint256(0)), AMOUNT);
    }

    function test_validate_revertsOnDirtyAddressBits() public {
        bytes32 word = bytes32(uint256(uint160(signer)) | (uint256(1) << 200));
        vm.expectRevert(abi.encodeWithSelector(ISignedTransferResolver.InvalidSignerEncoding.selector, word));
        resolver.validate(abi.encode(word), AMOUNT);
    }

    // ------------------------------------------------------------------ resolve: valid outcomes

    function test_resolve_paysTheSignedAmount() public view {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 4 ether, outcome);
        uint256 paid = resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, _evidence(4 ether, outcome, sig));
        assertEq(paid, 4 ether, "signed payout");
    }

    function test_resolve_paysZeroWhenSignedZero() public view {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 0, outcome);
        assertEq(resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, _evidence(0, outcome, sig)), 0, "refund all");
    }

    function test_resolve_paysTheWholeAmountAtTheBoundary() public view {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, AMOUNT, "");
        assertEq(resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, _evidence(AMOUNT, "", sig)), AMOUNT, "all");
    }

    function test_resolve_acceptsAnErc1271Signer() public view {
        // The wallet's owner signs the resolver's digest; the wallet vouches for it through ERC-1271.
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 3 ether, outcome);
        uint256 paid = resolver.resolve(TRANSFER_ID, _terms(address(wallet)), AMOUNT, _evidence(3 ether, outcome, sig));
        assertEq(paid, 3 ether, "wallet-attested payout");
    }

    function test_resolve_worksUnderStaticcallWithAGasCap() public view {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory callData = abi.encodeCall(
            IResolver.resolve,
            (TRANSFER_ID, _terms(signer), AMOUNT, _evidence(1 ether, outcome, sig))
        );
        (bool ok, bytes memory ret) = address(resolver).staticcall{gas: 50_000}(callData);
        assertTrue(ok, "staticcall must succeed within 50k gas");
        assertEq(abi.decode(ret, (uint256)), 1 ether, "payout");
    }

    // ------------------------------------------------------------------ resolve: rejected outcomes

    function test_resolve_revertsWhenOutcomeExceedsAmount() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, AMOUNT + 1, outcome);
        bytes memory evidence = _evidence(AMOUNT + 1, outcome, sig);
        vm.expectRevert(
            abi.encodeWithSelector(ISignedTransferResolver.OutcomeExceedsAmount.selector, AMOUNT + 1, AMOUNT)
        );
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnSignatureByAnotherKey() public {
        bytes memory sig = _sign(OTHER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnHighS() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, resolver.outcomeDigest(TRANSFER_ID, 1 ether, outcome));
        bytes memory malleated = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : 27);
        bytes memory evidence = _evidence(1 ether, outcome, malleated);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnCompact64ByteSignature() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, resolver.outcomeDigest(TRANSFER_ID, 1 ether, outcome));
        // ERC-2098 compact form (r, yParity‖s): a valid encoding of the same signature, not accepted here.
        bytes32 vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
        bytes memory evidence = _evidence(1 ether, outcome, abi.encodePacked(r, vs));
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnWrongLengthSignatures() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory longSig = abi.encodePacked(sig, uint8(0));
        bytes memory evidence = _evidence(1 ether, outcome, longSig);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
        evidence = _evidence(1 ether, outcome, "");
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnInvalidV() public {
        (, bytes32 r, bytes32 s) = vm.sign(SIGNER_KEY, resolver.outcomeDigest(TRANSFER_ID, 1 ether, outcome));
        bytes memory evidence = _evidence(1 ether, outcome, abi.encodePacked(r, s, uint8(29)));
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnTamperedToResponder() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(2 ether, outcome, sig);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnTamperedOutcomeData() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, abi.encode("oracle says: team B won", uint256(3)), sig);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsForAnotherTransfer() public {
        // Cross-transfer (and so cross-channel) replay: the transfer id binds the channel and the transfer.
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(signer);
        resolver.resolve(keccak256("another transfer"), _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsForAnotherResolverInstance() public {
        // Cross-contract replay: an outcome signed for one resolver deployment fails on another.
        SignedTransferResolver other = new SignedTransferResolver();
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(signer);
        other.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnAnotherChain() public {
        // Cross-chain replay: the domain separator follows block.chainid.
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        bytes32 separatorBefore = resolver.domainSeparator();
        vm.chainId(block.chainid + 1);
        assertTrue(resolver.domainSeparator() != separatorBefore, "domain must follow the chain id");
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsWhenTheSignerIsNotTheNamedSigner() public {
        // A valid signature by the wallet's owner does not count for another named signer.
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        address named = vm.addr(OTHER_KEY);
        _expectBadSignature(named);
        resolver.resolve(TRANSFER_ID, _terms(named), AMOUNT, evidence);
    }

    function test_resolve_revertsOnErc1271WalletSignedByAStranger() public {
        bytes memory sig = _sign(OTHER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(address(wallet));
        resolver.resolve(TRANSFER_ID, _terms(address(wallet)), AMOUNT, evidence);
    }

    function test_resolve_revertsOnContractSignerWithoutErc1271() public {
        // A contract without isValidSignature (here the resolver itself) can never attest an outcome.
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(address(resolver));
        resolver.resolve(TRANSFER_ID, _terms(address(resolver)), AMOUNT, evidence);
    }

    function test_resolve_revertsOnZeroSigner() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        vm.expectRevert(ISignedTransferResolver.ZeroSigner.selector);
        resolver.resolve(TRANSFER_ID, _terms(address(0)), AMOUNT, evidence);
    }

    function test_resolve_revertsOnMalformedTerms() public {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        vm.expectRevert(abi.encodeWithSelector(ISignedTransferResolver.InvalidTermsLength.selector, 32, 20));
        resolver.resolve(TRANSFER_ID, abi.encodePacked(signer), AMOUNT, evidence);
    }

    function test_resolve_revertsOnMalformedResolverData() public {
        vm.expectRevert();
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, abi.encode(uint256(1)));
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_resolve_neverExceedsAmount(uint256 toResponder, uint256 amount, bytes memory data) public view {
        bytes memory sig = _sign(SIGNER_KEY, TRANSFER_ID, toResponder, data);
        try resolver.resolve(TRANSFER_ID, _terms(signer), amount, _evidence(toResponder, data, sig)) returns (
            uint256 paid
        ) {
            assertLe(paid, amount, "payout <= amount");
            assertEq(paid, toResponder, "payout == signed amount");
        } catch (bytes memory reason) {
            assertTrue(toResponder > amount, "only an over-amount outcome may revert");
            assertEq(
                keccak256(reason),
                keccak256(
                    abi.encodeWithSelector(ISignedTransferResolver.OutcomeExceedsAmount.selector, toResponder, amount)
                ),
                "OutcomeExceedsAmount"
            );
        }
    }

    function testFuzz_resolve_rejectsEveryOtherKey(uint256 key) public {
        key = bound(key, 1, SECP256K1_N - 1);
        vm.assume(key != SIGNER_KEY);
        bytes memory sig = _sign(key, TRANSFER_ID, 1 ether, outcome);
        bytes memory evidence = _evidence(1 ether, outcome, sig);
        _expectBadSignature(signer);
        resolver.resolve(TRANSFER_ID, _terms(signer), AMOUNT, evidence);
    }

    function testFuzz_outcomeDigest_matchesManualComputation(
        bytes32 id,
        uint256 toResponder,
        bytes memory data
    ) public view {
        assertEq(
            resolver.outcomeDigest(id, toResponder, data),
            _manualDigest(address(resolver), id, toResponder, data),
            "digest"
        );
    }
}
