// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {IChannel} from "../../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../../contracts/interfaces/IChannelCore.sol";
import {IChannelFactory} from "../../../contracts/interfaces/IChannelFactory.sol";
import {MockERC1271Wallet} from "../../../contracts/test/mocks/MockERC1271Wallet.sol";
import {ChannelState, FinalState, WithdrawCommitment} from "../../../contracts/types/ChannelTypes.sol";
import {SecurityBase} from "./SecurityBase.sol";

/// @title RotatingWallet
/// @notice An ERC-1271 account whose owner can hand it to a new key, which revokes every signature of the old
///         key (as a Safe owner change does). Used to show a known limitation: see docs/SECURITY.md.
contract RotatingWallet is IERC1271 {
    address public owner;

    error NotOwner(address caller);

    constructor(address owner_) {
        owner = owner_;
    }

    receive() external payable {
        return;
    }

    function rotate(address newOwner) external {
        if (msg.sender != owner) revert NotOwner(msg.sender);
        owner = newOwner;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view override returns (bytes4) {
        (address recovered, ECDSA.RecoverError err, ) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}

/// @title Signature attacks
/// @notice Malformed, malleable, misattributed and contract-account signatures on every signed entry point.
contract SecuritySignaturesTest is SecurityBase {
    uint256 internal constant WALLET_OWNER_KEY = 0x5AFE;
    uint256 internal constant NEW_OWNER_KEY = 0x5AFE2;

    bytes internal sigA;
    bytes internal sigB;

    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        (sigA, sigB) = _sigs(_st());
    }

    /// @dev The state under attack: alice 6, bob 9 of the 15 deposited.
    function _st() internal pure returns (ChannelState memory) {
        return _ethState(1, 6 ether, 9 ether, 10 ether, 5 ether, 1);
    }

    function _expectBadSig(address signer) internal {
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, signer));
    }

    /// @dev Submits the fixture state with the given signatures, expecting InvalidSignature(`signer`) and no effect.
    function _disputeFails(bytes memory sa, bytes memory sb, address signer) internal {
        ChannelState memory st = _st();
        Snap memory snap = _snap();
        _expectBadSig(signer);
        channel.disputeChannel(st, sa, sb);
        _assertUnchanged(snap);
    }

    // ─── malleability and the zero address ───────────────────────────────────────────────────────────────

    function test_sig_highSForAliceFails() public {
        _disputeFails(_highS(sigA), sigB, alice);
    }

    function test_sig_highSForBobFails() public {
        _disputeFails(sigA, _highS(sigB), bob);
    }

    function test_sig_highSOnCloseFails() public {
        FinalState memory f = _finalOf(_st());
        (bytes memory sa, bytes memory sb) = _finalSigs(f);
        bytes memory high = _highS(sa);
        Snap memory snap = _snap();
        _expectBadSig(alice);
        channel.closeChannel(f, high, sb);
        _assertUnchanged(snap);
    }

    function test_sig_highSOnWithdrawFails() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        (bytes memory sa, bytes memory sb) = _withdrawSigs(w);
        bytes memory high = _highS(sb);
        Snap memory snap = _snap();
        _expectBadSig(bob);
        channel.withdraw(w, sa, high);
        _assertUnchanged(snap);
        assertTrue(!channel.isWithdrawExecuted(0), "nonce spent");
    }

    function test_sig_allZeroSignatureFails() public {
        // r = s = v = 0: ecrecover yields address(0), which must never count as a signer.
        _disputeFails(new bytes(65), sigB, alice);
    }

    function test_sig_zeroVFails() public {
        (bytes32 r, bytes32 sv, ) = _split(sigA);
        _disputeFails(abi.encodePacked(r, sv, uint8(0)), sigB, alice);
    }

    function test_sig_garbageVFails() public {
        (bytes32 r, bytes32 sv, ) = _split(sigA);
        _disputeFails(abi.encodePacked(r, sv, uint8(29)), sigB, alice);
    }

    function test_sig_garbageRAndSFails() public {
        // Arbitrary r and s recover to some random address (or none): never alice.
        _disputeFails(abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(1)), uint8(27)), sigB, alice);
    }

    function test_sig_zeroAddressPartyCannotExist() public {
        // What a malformed signature "recovers" to (address(0)) can never be a party of a channel.
        bytes32 salt = keccak256("zero party");
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidParties.selector, address(0), bob));
        factory.createChannel(address(0), bob, salt);
        vm.expectRevert(abi.encodeWithSelector(IChannelFactory.InvalidParties.selector, alice, address(0)));
        factory.createChannel(alice, address(0), salt);
        assertEq(factory.channelAddress(alice, bob, salt).code.length, 0, "created");
    }

    // ─── length ──────────────────────────────────────────────────────────────────────────────────────────

    function test_sig_length64CompactFails() public {
        // EIP-2098 compact form of alice's valid signature: only 65-byte signatures are accepted.
        (bytes32 r, bytes32 sv, uint8 v) = _split(sigA);
        bytes32 vs = bytes32(uint256(sv) | (uint256(v - 27) << 255));
        _disputeFails(abi.encodePacked(r, vs), sigB, alice);
    }

    function test_sig_length66Fails() public {
        _disputeFails(abi.encodePacked(sigA, uint8(0)), sigB, alice);
    }

    function test_sig_length0Fails() public {
        _disputeFails("", sigB, alice);
    }

    // ─── who signed ──────────────────────────────────────────────────────────────────────────────────────

    function test_sig_strangerAsAliceFails() public {
        _disputeFails(_signState(EVE_KEY, _st()), sigB, alice);
    }

    function test_sig_strangerAsBobFails() public {
        _disputeFails(sigA, _signState(EVE_KEY, _st()), bob);
    }

    function test_sig_swappedSignaturesFail() public {
        _disputeFails(sigB, sigA, alice);
    }

    function test_sig_aliceSignatureTwiceFails() public {
        _disputeFails(sigA, sigA, bob);
    }

    function test_sig_signatureOfAnotherStateFails() public {
        ChannelState memory other = _ethState(1, 15 ether, 0, 10 ether, 5 ether, 1);
        _disputeFails(_signState(BOB_KEY, other), sigB, alice);
    }

    // ─── ERC-1271 parties ────────────────────────────────────────────────────────────────────────────────

    /// @dev A channel whose bob is `wallet`, funded with 10 ETH by alice and 5 ETH sent to it.
    function _walletChannel(address wallet, bytes32 salt) internal returns (IChannel ch) {
        ch = IChannel(factory.createChannel(alice, wallet, salt));
        vm.prank(alice);
        ch.depositAlice{value: 10 ether}(ETH, 10 ether);
        vm.prank(eve);
        (bool ok, ) = address(ch).call{value: 5 ether}("");
        assertTrue(ok, "funding failed");
    }

    function test_sig_erc1271WalletRejectsForeignKeyFails() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("wallet"));
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, _st());
        bytes memory byStranger = _signStateFor(address(ch), BOB_KEY, _st()); // not the wallet's owner
        Snap memory snap = _snapOf(ch, _only(ETH));
        _expectBadSig(address(wallet));
        ch.disputeChannel(_st(), sa, byStranger);
        _assertUnchanged(snap);
    }

    function test_sig_erc1271WalletRejectsHighSFails() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("wallet"));
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, _st());
        bytes memory high = _highS(_signStateFor(address(ch), WALLET_OWNER_KEY, _st()));
        Snap memory snap = _snapOf(ch, _only(ETH));
        _expectBadSig(address(wallet));
        ch.disputeChannel(_st(), sa, high);
        _assertUnchanged(snap);
    }

    function test_sig_erc1271WalletOwnerSignatureForOtherChannelFails() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("wallet"));
        IChannel other = _walletChannel(address(wallet), keccak256("wallet2"));
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, _st());
        bytes memory sw = _signStateFor(address(other), WALLET_OWNER_KEY, _st());
        Snap memory snap = _snapOf(ch, _only(ETH));
        _expectBadSig(address(wallet));
        ch.disputeChannel(_st(), sa, sw);
        _assertUnchanged(snap);
    }

    function test_sig_erc1271AcceptedPathClosesExactly() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("wallet"));
        FinalState memory f = _finalOf(_st());
        bytes memory sa = _signFinalFor(address(ch), ALICE_KEY, f);
        bytes memory sw = _signFinalFor(address(ch), WALLET_OWNER_KEY, f);
        uint256 aliceBefore = alice.balance;
        vm.prank(eve);
        ch.closeChannel(f, sa, sw);
        assertEq(address(wallet).balance, 9 ether, "wallet paid exactly");
        assertEq(alice.balance - aliceBefore, 6 ether, "alice paid exactly");
        assertEq(address(ch).balance, 0, "channel emptied");
        assertEq(ch.totalPaidOut(ETH), 15 ether, "paid out");
        assertEq(ch.exitOf(ETH, address(wallet)), 0, "no exit");
    }

    function test_sig_erc1271AcceptedPathDisputes() public {
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("wallet"));
        bytes memory sa = _signStateFor(address(ch), ALICE_KEY, _st());
        bytes memory sw = _signStateFor(address(ch), WALLET_OWNER_KEY, _st());
        ch.disputeChannel(_st(), sa, sw);
        assertEq(uint256(ch.disputeRecord().nonce), 1, "dispute recorded");
        assertEq(ch.disputedStateHash(), hasher.hashChannelState(_st()), "state recorded");
        assertEq(address(ch).balance, 15 ether, "nothing moved");
    }

    /// @dev Known limitation (docs/SECURITY.md): an ERC-1271 party can revoke its own signatures (rotate its key),
    ///      then sign an older state again with the new key; the counter-party's newer state no longer verifies.
    function test_sig_limitation_erc1271PartyCanRevokeItsSignatures() public {
        RotatingWallet wallet = new RotatingWallet(vm.addr(WALLET_OWNER_KEY));
        IChannel ch = _walletChannel(address(wallet), keccak256("rotating"));
        // Old state: the wallet (bob) has 9; newer state: bob paid alice 4 and has 5.
        ChannelState memory old = _ethState(1, 6 ether, 9 ether, 10 ether, 5 ether, 1);
        ChannelState memory newer = _ethState(2, 10 ether, 5 ether, 10 ether, 5 ether, 1);
        bytes memory oldA = _signStateFor(address(ch), ALICE_KEY, old);
        bytes memory newA = _signStateFor(address(ch), ALICE_KEY, newer);
        bytes memory newW = _signStateFor(address(ch), WALLET_OWNER_KEY, newer);
        // The wallet's owner rotates the key and signs the old state again.
        vm.prank(vm.addr(WALLET_OWNER_KEY));
        wallet.rotate(vm.addr(NEW_OWNER_KEY));
        ch.disputeChannel(old, oldA, _signStateFor(address(ch), NEW_OWNER_KEY, old));
        // Alice's refutation with the newer state fails: the wallet no longer accepts its own earlier signature.
        Snap memory snap = _snapOf(ch, _only(ETH));
        _expectBadSig(address(wallet));
        ch.disputeChannel(newer, newA, newW);
        _assertUnchanged(snap);
    }
}
