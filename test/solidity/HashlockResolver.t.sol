// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IHashlockResolver} from "../../contracts/interfaces/IHashlockResolver.sol";
import {IResolver} from "../../contracts/interfaces/IResolver.sol";
import {HashlockResolver} from "../../contracts/resolvers/HashlockResolver.sol";
import {TestBase} from "./utils/TestBase.sol";

contract HashlockResolverTest is TestBase {
    HashlockResolver internal resolver;

    uint256 internal constant NOW = 1_700_000_000;
    uint256 internal constant EXPIRY = NOW + 1 hours;
    uint256 internal constant AMOUNT = 5 ether;
    bytes32 internal constant PREIMAGE = keccak256("switchyard preimage");
    bytes32 internal constant TRANSFER_ID = keccak256("transfer");
    /// @dev SHA-256 of 32 zero bytes: a published test vector shared with Bitcoin / Lightning tooling.
    bytes32 internal constant SHA256_OF_32_ZERO_BYTES =
        0x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925;

    function setUp() public {
        resolver = new HashlockResolver();
        vm.warp(NOW);
    }

    /// @dev SHA-256 is a precompile call: compute locks before `vm.expectRevert`, never inside the expected call.
    function _lock(bytes32 preimage) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(preimage));
    }

    function _terms(bytes32 lockHash, uint256 expiry) internal pure returns (bytes memory) {
        return abi.encode(lockHash, expiry);
    }

    function _resolve(bytes memory terms, uint256 amount, bytes32 preimage) internal view returns (uint256) {
        return resolver.resolve(TRANSFER_ID, terms, amount, abi.encode(preimage));
    }

    // ------------------------------------------------------------------ lockHashOf / decodeTerms

    function test_lockHashOf_isSha256OfThe32BytePreimage() public view {
        assertEq(resolver.lockHashOf(bytes32(0)), SHA256_OF_32_ZERO_BYTES, "sha256(0x00 * 32) test vector");
        assertEq(resolver.lockHashOf(PREIMAGE), sha256(abi.encodePacked(PREIMAGE)), "sha256 of the raw 32 bytes");
        assertTrue(resolver.lockHashOf(PREIMAGE) != keccak256(abi.encode(PREIMAGE)), "must not be keccak256");
    }

    function test_decodeTerms_roundTrips() public view {
        (bytes32 lockHash, uint256 expiry) = resolver.decodeTerms(_terms(_lock(PREIMAGE), EXPIRY));
        assertEq(lockHash, _lock(PREIMAGE), "lock hash");
        assertEq(expiry, EXPIRY, "expiry");
    }

    function test_decodeTerms_revertsOnWrongLength() public {
        bytes memory terms = abi.encode(_lock(PREIMAGE));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, 32));
        resolver.decodeTerms(terms);
    }

    // ------------------------------------------------------------------ validate

    function test_validate_acceptsWellFormedTerms() public view {
        resolver.validate(_terms(_lock(PREIMAGE), EXPIRY), AMOUNT);
        resolver.validate(_terms(_lock(PREIMAGE), NOW + 1), 1);
    }

    function test_validate_revertsOnShortTerms() public {
        bytes memory terms = abi.encodePacked(_lock(PREIMAGE), uint128(EXPIRY));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, 48));
        resolver.validate(terms, AMOUNT);
    }

    function test_validate_revertsOnLongTerms() public {
        bytes memory terms = abi.encode(_lock(PREIMAGE), EXPIRY, uint256(1));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, 96));
        resolver.validate(terms, AMOUNT);
    }

    function test_validate_revertsOnEmptyTerms() public {
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, 0));
        resolver.validate("", AMOUNT);
    }

    function test_validate_revertsOnZeroLockHash() public {
        vm.expectRevert(IHashlockResolver.ZeroLockHash.selector);
        resolver.validate(_terms(bytes32(0), EXPIRY), AMOUNT);
    }

    function test_validate_revertsOnZeroAmount() public {
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        vm.expectRevert(IHashlockResolver.ZeroAmount.selector);
        resolver.validate(terms, 0);
    }

    function test_validate_revertsOnPastExpiry() public {
        bytes memory terms = _terms(_lock(PREIMAGE), NOW - 1);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.HashlockExpired.selector, NOW - 1, NOW));
        resolver.validate(terms, AMOUNT);
    }

    function test_validate_revertsOnExpiryEqualToNow() public {
        bytes memory terms = _terms(_lock(PREIMAGE), NOW);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.HashlockExpired.selector, NOW, NOW));
        resolver.validate(terms, AMOUNT);
    }

    // ------------------------------------------------------------------ resolve

    function test_resolve_paysTheWholeAmountForTheRightPreimage() public view {
        assertEq(_resolve(_terms(_lock(PREIMAGE), EXPIRY), AMOUNT, PREIMAGE), AMOUNT, "responder gets all");
    }

    function test_resolve_paysOneSecondBeforeExpiry() public {
        vm.warp(EXPIRY - 1);
        assertEq(_resolve(_terms(_lock(PREIMAGE), EXPIRY), AMOUNT, PREIMAGE), AMOUNT, "last valid second");
    }

    function test_resolve_revertsAtExpiry() public {
        vm.warp(EXPIRY);
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.HashlockExpired.selector, EXPIRY, EXPIRY));
        _resolve(terms, AMOUNT, PREIMAGE);
    }

    function test_resolve_revertsAfterExpiry() public {
        vm.warp(EXPIRY + 1 days);
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.HashlockExpired.selector, EXPIRY, EXPIRY + 1 days));
        _resolve(terms, AMOUNT, PREIMAGE);
    }

    function test_resolve_revertsOnWrongPreimage() public {
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        vm.expectRevert(IHashlockResolver.InvalidPreimage.selector);
        _resolve(terms, AMOUNT, bytes32(uint256(PREIMAGE) ^ 1));
    }

    function test_resolve_revertsOnTheLockHashItself() public {
        bytes32 lockHash = _lock(PREIMAGE);
        bytes memory terms = _terms(lockHash, EXPIRY);
        vm.expectRevert(IHashlockResolver.InvalidPreimage.selector);
        _resolve(terms, AMOUNT, lockHash);
    }

    function test_resolve_revertsOnAKeccakLock() public {
        // A lock built with keccak256 instead of SHA-256 can never be opened: the hash function is part of the spec.
        bytes memory terms = _terms(keccak256(abi.encode(PREIMAGE)), EXPIRY);
        vm.expectRevert(IHashlockResolver.InvalidPreimage.selector);
        _resolve(terms, AMOUNT, PREIMAGE);
    }

    function test_resolve_revertsOnZeroLockHash() public {
        bytes memory terms = _terms(bytes32(0), EXPIRY);
        vm.expectRevert(IHashlockResolver.InvalidPreimage.selector);
        _resolve(terms, AMOUNT, bytes32(0));
    }

    function test_resolve_revertsOnMalformedTerms() public {
        bytes memory terms = abi.encodePacked(_lock(PREIMAGE));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, 32));
        _resolve(terms, AMOUNT, PREIMAGE);
    }

    function test_resolve_revertsOnShortResolverData() public {
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        bytes memory evidence = abi.encodePacked(bytes31(PREIMAGE));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidResolverDataLength.selector, 32, 31));
        resolver.resolve(TRANSFER_ID, terms, AMOUNT, evidence);
    }

    function test_resolve_revertsOnLongResolverData() public {
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        bytes memory evidence = abi.encode(PREIMAGE, uint256(0));
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidResolverDataLength.selector, 32, 64));
        resolver.resolve(TRANSFER_ID, terms, AMOUNT, evidence);
    }

    function test_resolve_doesNotDependOnTransferId() public view {
        bytes memory terms = _terms(_lock(PREIMAGE), EXPIRY);
        bytes memory evidence = abi.encode(PREIMAGE);
        // The same lock settles every hop of a route: each hop's transfer has its own id.
        assertEq(resolver.resolve(bytes32(0), terms, AMOUNT, evidence), AMOUNT, "hop 1");
        assertEq(resolver.resolve(keccak256("hop 2"), terms, AMOUNT, evidence), AMOUNT, "hop 2");
    }

    function test_resolve_worksUnderStaticcallWithAGasCap() public view {
        bytes memory callData = abi.encodeCall(
            IResolver.resolve,
            (TRANSFER_ID, _terms(_lock(PREIMAGE), EXPIRY), AMOUNT, abi.encode(PREIMAGE))
        );
        uint256 gasBefore = gasleft();
        (bool ok, bytes memory ret) = address(resolver).staticcall{gas: 30_000}(callData);
        uint256 used = gasBefore - gasleft();
        assertTrue(ok, "staticcall must succeed");
        assertEq(abi.decode(ret, (uint256)), AMOUNT, "payout");
        assertLe(used, 30_000, "resolve is cheap");
    }

    // ------------------------------------------------------------------ fuzz

    function testFuzz_resolve_paysExactlyTheAmountForTheRightPreimage(
        bytes32 preimage,
        uint256 amount,
        uint256 expiry
    ) public view {
        expiry = bound(expiry, NOW + 1, type(uint256).max);
        assertEq(_resolve(_terms(_lock(preimage), expiry), amount, preimage), amount, "payout == amount");
    }

    function testFuzz_resolve_rejectsEveryOtherPreimage(bytes32 preimage, bytes32 guess) public {
        vm.assume(preimage != guess);
        bytes memory terms = _terms(_lock(preimage), EXPIRY);
        vm.expectRevert(IHashlockResolver.InvalidPreimage.selector);
        _resolve(terms, AMOUNT, guess);
    }

    function testFuzz_resolve_rejectsTheRightPreimageFromExpiryOn(bytes32 preimage, uint256 expiry, uint256 at) public {
        expiry = bound(expiry, NOW + 1, type(uint64).max);
        at = bound(at, expiry, type(uint64).max);
        vm.warp(at);
        bytes memory terms = _terms(_lock(preimage), expiry);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.HashlockExpired.selector, expiry, at));
        _resolve(terms, AMOUNT, preimage);
    }

    function testFuzz_resolve_neverExceedsAmount(bytes32 preimage, bytes32 guess, uint256 amount) public view {
        bytes memory terms = _terms(_lock(preimage), EXPIRY);
        try resolver.resolve(TRANSFER_ID, terms, amount, abi.encode(guess)) returns (uint256 toResponder) {
            assertLe(toResponder, amount, "payout <= amount");
            assertEq(_lock(guess), _lock(preimage), "only the right preimage resolves");
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), IHashlockResolver.InvalidPreimage.selector, "only InvalidPreimage");
        }
    }

    function testFuzz_validate_rejectsAnyTermsLengthButSixtyFour(bytes calldata terms) public {
        vm.assume(terms.length != 64);
        vm.expectRevert(abi.encodeWithSelector(IHashlockResolver.InvalidTermsLength.selector, 64, terms.length));
        resolver.validate(terms, AMOUNT);
    }
}
