// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {IWithdrawUnit} from "../../contracts/interfaces/IWithdrawUnit.sol";
import {BlacklistToken} from "../../contracts/test/mocks/BlacklistToken.sol";
import {MockERC1271Wallet} from "../../contracts/test/mocks/MockERC1271Wallet.sol";
import {MockWithdrawHelper} from "../../contracts/test/mocks/MockWithdrawHelper.sol";
import {ReentrantReceiver} from "../../contracts/test/mocks/ReentrantReceiver.sol";
import {ReentrantWithdrawHelper} from "../../contracts/test/mocks/ReentrantWithdrawHelper.sol";
import {RevertingReceiver} from "../../contracts/test/mocks/RevertingReceiver.sol";
import {WithdrawCommitment} from "../../contracts/types/ChannelTypes.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";
import {ReferenceHashing} from "./utils/ReferenceHashing.sol";

contract ChannelWithdrawTest is ChannelFixture {
    function setUp() public override {
        super.setUp();
        _depositAliceEth(10 ether);
        _depositBobEth(5 ether);
        _depositAliceToken(1_000e18);
    }

    function test_withdraw_eth_paysTheRecipientOnce() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 3 ether, 0);
        uint256 before = bob.balance;
        vm.expectEmit(address(channel));
        emit IWithdrawUnit.Withdrawn(ETH, bob, 3 ether, 0);
        vm.prank(eve); // anyone may submit
        channel.withdraw(w, _signWithdraw(ALICE_KEY, w), _signWithdraw(BOB_KEY, w));
        assertEq(bob.balance, before + 3 ether, "paid");
        assertEq(address(channel).balance, 12 ether, "held");
        assertEq(channel.totalPaidOut(ETH), 3 ether, "counted");
        assertTrue(channel.isWithdrawExecuted(0), "nonce spent");
        assertTrue(!channel.isWithdrawExecuted(1), "other nonce free");
        _assertLedger(ETH);
        assertEq(channel.totalDepositsBob(ETH), 5 ether, "a withdrawal does not change bob's deposits");
    }

    function test_withdraw_token_paysTheRecipient() public {
        WithdrawCommitment memory w = _withdrawCommitment(address(token), alice, 400e18, 7);
        uint256 before = token.balanceOf(alice);
        _withdraw(w);
        assertEq(token.balanceOf(alice), before + 400e18, "paid");
        assertEq(channel.totalPaidOut(address(token)), 400e18, "counted");
        _assertLedger(address(token));
    }

    function test_withdraw_revertsOnReplay() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 3);
        _withdraw(w);
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, 3));
        channel.withdraw(w, sa, sb);
        assertEq(address(channel).balance, 14 ether, "paid once");
    }

    function test_withdraw_revertsWhenAnyFieldChanges() public {
        // Signed over the test's own EIP-712 encoding (not the contract's digest): a field dropped from the
        // on-chain hash makes the signed commitment itself fail below.
        MockWithdrawHelper h = new MockWithdrawHelper();
        WithdrawCommitment memory w = WithdrawCommitment(ETH, bob, 1 ether, 0, address(h), hex"00");
        bytes32 d = ReferenceHashing.withdrawDigest(address(channel), w);
        bytes memory sa = signDigest(ALICE_KEY, d);
        bytes memory sb = signDigest(BOB_KEY, d);
        WithdrawCommitment[6] memory tampered;
        for (uint256 i = 0; i < 6; ++i) tampered[i] = WithdrawCommitment(ETH, bob, 1 ether, 0, address(h), hex"00");
        tampered[0].amount = 2 ether;
        tampered[1].recipient = eve;
        tampered[2].nonce = 1;
        tampered[3].asset = address(token);
        tampered[4].callData = hex"01";
        tampered[5].callTo = address(new MockWithdrawHelper());
        for (uint256 i = 0; i < 6; ++i) {
            vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
            channel.withdraw(tampered[i], sa, sb);
        }
        assertEq(address(channel).balance, 15 ether, "nothing paid");
        uint256 b0 = bob.balance;
        channel.withdraw(w, sa, sb);
        assertEq(bob.balance, b0 + 1 ether, "the signed commitment pays");
        assertEq(h.callCount(), 1, "its helper ran");
    }

    function test_withdraw_revertsOnASignatureFromAnyoneElse() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, eve, 1 ether, 0);
        bytes memory byEve = _signWithdraw(EVE_KEY, w);
        bytes memory byAlice = _signWithdraw(ALICE_KEY, w);
        bytes memory byBob = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, bob));
        channel.withdraw(w, byAlice, byEve);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, byEve, byBob);
        // Swapped signatures do not pass either.
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, byBob, byAlice);
        assertEq(address(channel).balance, 15 ether, "nothing paid");
    }

    function test_withdraw_revertsOnHighSAndMalformedSignatures() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ALICE_KEY, hasher.withdrawDigest(address(channel), w));
        bytes memory highS = abi.encodePacked(r, bytes32(SECP256K1_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, highS, sb);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, abi.encodePacked(r, s), sb); // 64 bytes
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, "", sb);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, new bytes(65), sb); // all zero: ecrecover yields address(0)
    }

    function test_withdraw_revertsOnZeroAmount() public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 0, 0);
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(IWithdrawUnit.ZeroWithdraw.selector);
        channel.withdraw(w, sa, sb);
    }

    function test_withdraw_erc1271Party_signsThroughItsContract() public {
        uint256 ownerKey = 0x5AFE;
        MockERC1271Wallet wallet = new MockERC1271Wallet(vm.addr(ownerKey));
        IChannel ch = IChannel(factory.createChannel(address(wallet), bob, keccak256("safe")));
        vm.prank(bob);
        (bool ok, ) = address(ch).call{value: 2 ether}("");
        assertTrue(ok, "funded");
        WithdrawCommitment memory w = _withdrawCommitment(ETH, bob, 1 ether, 0);
        bytes memory byOwner = signDigest(ownerKey, hasher.withdrawDigest(address(ch), w));
        bytes memory byBob = signDigest(BOB_KEY, hasher.withdrawDigest(address(ch), w));
        uint256 before = bob.balance;
        ch.withdraw(w, byOwner, byBob);
        assertEq(bob.balance, before + 1 ether, "paid with the wallet's ERC-1271 approval");
        WithdrawCommitment memory w2 = _withdrawCommitment(ETH, bob, 1 ether, 1);
        bytes memory byStranger = signDigest(EVE_KEY, hasher.withdrawDigest(address(ch), w2));
        bytes memory byBob2 = signDigest(BOB_KEY, hasher.withdrawDigest(address(ch), w2));
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, address(wallet)));
        ch.withdraw(w2, byStranger, byBob2);
    }

    function test_withdraw_withHelper_paysThenCallsTheHelper() public {
        MockWithdrawHelper helper = new MockWithdrawHelper();
        WithdrawCommitment memory w = WithdrawCommitment(ETH, bob, 2 ether, 0, address(helper), hex"c0ffee");
        uint256 before = bob.balance;
        _withdraw(w);
        assertEq(bob.balance, before + 2 ether, "paid first");
        assertEq(helper.callCount(), 1, "helper called");
        assertEq(helper.lastRecipient(), bob, "recipient");
        assertEq(helper.lastAmount(), 2 ether, "amount");
        assertEq(keccak256(helper.lastCallData()), keccak256(hex"c0ffee"), "signed call data");
    }

    function test_withdraw_helperCannotReenterTheChannel() public {
        ReentrantWithdrawHelper helper = new ReentrantWithdrawHelper();
        WithdrawCommitment memory inner = _withdrawCommitment(ETH, eve, 1 ether, 9);
        helper.setAttackData(
            abi.encodeCall(
                IWithdrawUnit.withdraw,
                (inner, _signWithdraw(ALICE_KEY, inner), _signWithdraw(BOB_KEY, inner))
            )
        );
        WithdrawCommitment memory w = WithdrawCommitment(ETH, bob, 1 ether, 0, address(helper), "");
        _withdraw(w);
        assertEq(helper.attempts(), 1, "re-entry attempted");
        assertTrue(!helper.lastSuccess(), "re-entry failed");
        assertEq(
            keccak256(helper.lastReturnData()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "stopped by the guard"
        );
        assertTrue(!channel.isWithdrawExecuted(9), "the inner commitment did not run");
        assertEq(address(channel).balance, 14 ether, "only the outer withdrawal paid");
    }

    function test_withdraw_revertingHelper_revertsTheWholeWithdrawal() public {
        WithdrawCommitment memory w = WithdrawCommitment(ETH, bob, 1 ether, 0, address(new RevertingReceiver()), "");
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawHelperFailed.selector, w.callTo));
        channel.withdraw(w, sa, sb);
        assertTrue(!channel.isWithdrawExecuted(0), "commitment still unspent");
        assertEq(address(channel).balance, 15 ether, "nothing moved");
    }

    function test_withdraw_pushToAReentrantReceiver_cannotReenterWithinTheGasAllowance() public {
        ReentrantReceiver attacker = new ReentrantReceiver();
        attacker.arm(address(channel), abi.encodeCall(IChannelCore.withdrawExit, (ETH, address(attacker), eve, "")));
        _withdraw(_withdrawCommitment(ETH, address(attacker), 1 ether, 4));
        // The bounded push left the receiver too little gas to do anything but accept: its frame reverted, the
        // payment became its exit, and nothing left the channel.
        assertEq(channel.exitOf(ETH, address(attacker)), 1 ether, "kept as a claim");
        assertEq(address(channel).balance, 15 ether, "still held");
        _assertLedger(ETH);
    }

    function test_withdraw_toAReceiverThatReverts_keepsAnExit() public {
        RevertingReceiver sink = new RevertingReceiver();
        WithdrawCommitment memory w = _withdrawCommitment(ETH, address(sink), 2 ether, 0);
        vm.expectEmit(address(channel));
        emit IChannelCore.ExitRecorded(ETH, address(sink), 2 ether);
        _withdraw(w);
        assertEq(channel.exitOf(ETH, address(sink)), 2 ether, "claim kept");
        assertEq(address(channel).balance, 15 ether, "still held");
        assertEq(channel.totalPaidOut(ETH), 0, "not counted as paid");
        assertTrue(channel.isWithdrawExecuted(0), "commitment spent: no double payment later");
        _assertLedger(ETH);
    }

    function test_withdraw_blacklistedRecipient_keepsAnExitTheOwnerMovesElsewhere() public {
        BlacklistToken bl = new BlacklistToken();
        bl.mint(alice, 100e18);
        vm.prank(alice);
        bl.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(bl), 50e18);
        bl.setBlacklisted(bob, true);
        WithdrawCommitment memory w = _withdrawCommitment(address(bl), bob, 20e18, 0);
        _withdraw(w);
        assertEq(channel.exitOf(address(bl), bob), 20e18, "claim kept");
        // Bob moves his claim to another address of his.
        address bobCold = address(0xB0B2);
        vm.prank(bob);
        channel.withdrawExit(address(bl), bob, bobCold, "");
        assertEq(bl.balanceOf(bobCold), 20e18, "claim paid elsewhere");
        assertEq(channel.exitOf(address(bl), bob), 0, "claim cleared");
        assertEq(channel.totalPaidOut(address(bl)), 20e18, "counted when paid");
    }

    function test_withdraw_ethReceiverReentry_isStoppedAndPaymentKept() public {
        // A commitment with a helper pays with all remaining gas (strict), so the receiver has room to attack.
        ReentrantReceiver attacker = new ReentrantReceiver();
        MockWithdrawHelper helper = new MockWithdrawHelper();
        WithdrawCommitment memory inner = _withdrawCommitment(ETH, address(attacker), 1 ether, 5);
        attacker.arm(
            address(channel),
            abi.encodeCall(
                IWithdrawUnit.withdraw,
                (inner, _signWithdraw(ALICE_KEY, inner), _signWithdraw(BOB_KEY, inner))
            )
        );
        _withdraw(WithdrawCommitment(ETH, address(attacker), 1 ether, 4, address(helper), ""));
        assertEq(attacker.attempts(), 1, "attempted");
        assertEq(
            keccak256(attacker.lastReturnData()),
            keccak256(abi.encodeWithSelector(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector)),
            "stopped by the guard, not by gas"
        );
        assertTrue(!attacker.lastSuccess(), "failed");
        assertEq(address(attacker).balance, 1 ether, "outer payment arrived");
        assertTrue(!channel.isWithdrawExecuted(5), "inner did not run");
    }

    function testFuzz_withdraw_paysExactlyAndOnlyOnce(uint96 amount, uint256 nonce) public {
        uint256 value = bound(amount, 1, 15 ether);
        WithdrawCommitment memory w = _withdrawCommitment(ETH, eve, value, nonce);
        uint256 before = eve.balance;
        _withdraw(w);
        assertEq(eve.balance, before + value, "paid exactly");
        bytes memory sa = _signWithdraw(ALICE_KEY, w);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, nonce));
        channel.withdraw(w, sa, sb);
        _assertLedger(ETH);
    }

    function testFuzz_withdraw_randomSignaturesNeverPass(bytes32 r, bytes32 s, uint8 v) public {
        WithdrawCommitment memory w = _withdrawCommitment(ETH, eve, 1 ether, 0);
        bytes memory sb = _signWithdraw(BOB_KEY, w);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.withdraw(w, abi.encodePacked(r, s, v), sb);
    }

    // ─── the nonce bitmap ────────────────────────────────────────────────────────────────────────────────

    function test_withdraw_noncesSharingABitmapWordBothExecute() public {
        // 5 and 133 share bitmap word 0 (and differ in bit 7 only); 261 = 5 + 256 is the same bit of word 1.
        uint256 b0 = bob.balance;
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, 5));
        assertTrue(channel.isWithdrawExecuted(5), "5 spent");
        assertTrue(!channel.isWithdrawExecuted(133), "133 spent by 5");
        assertTrue(!channel.isWithdrawExecuted(261), "261 spent by 5");
        _withdraw(_withdrawCommitment(ETH, bob, 2 ether, 133));
        assertTrue(channel.isWithdrawExecuted(133), "133 spent");
        assertTrue(channel.isWithdrawExecuted(5), "5 still spent");
        _withdraw(_withdrawCommitment(ETH, bob, 3 ether, 261));
        assertEq(bob.balance, b0 + 6 ether, "all three paid");
        for (uint256 n = 0; n < 300; ++n) {
            bool spent = n == 5 || n == 133 || n == 261;
            assertTrue(channel.isWithdrawExecuted(n) == spent, "isWithdrawExecuted wrong below 300");
        }
        WithdrawCommitment memory again = _withdrawCommitment(ETH, bob, 2 ether, 133);
        bytes memory sa = _signWithdraw(ALICE_KEY, again);
        bytes memory sb = _signWithdraw(BOB_KEY, again);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, 133));
        channel.withdraw(again, sa, sb);
    }

    function test_withdraw_highNoncesAreTrackedExactly() public {
        uint256 top = type(uint256).max;
        uint256 high = (uint256(1) << 200) + 7;
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, top));
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, high));
        assertTrue(channel.isWithdrawExecuted(top), "2^256 - 1 spent");
        assertTrue(channel.isWithdrawExecuted(high), "2^200 + 7 spent");
        assertTrue(!channel.isWithdrawExecuted(top - 1), "2^256 - 2 spent");
        assertTrue(!channel.isWithdrawExecuted(255), "255 spent (same bit, word 0)");
        assertTrue(!channel.isWithdrawExecuted(7), "7 spent (same bit, word 0)");
        assertTrue(!channel.isWithdrawExecuted(high + 1), "2^200 + 8 spent");
        assertTrue(!channel.isWithdrawExecuted(high - 128), "2^200 - 121 spent");
        assertTrue(!channel.isWithdrawExecuted(uint256(1) << 200), "2^200 spent");
        WithdrawCommitment memory again = _withdrawCommitment(ETH, bob, 1 ether, top);
        bytes memory sa = _signWithdraw(ALICE_KEY, again);
        bytes memory sb = _signWithdraw(BOB_KEY, again);
        vm.expectRevert(abi.encodeWithSelector(IWithdrawUnit.WithdrawAlreadyExecuted.selector, top));
        channel.withdraw(again, sa, sb);
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, 255));
        _withdraw(_withdrawCommitment(ETH, bob, 1 ether, 7));
        assertEq(address(channel).balance, 11 ether, "four paid");
    }
}
