// SPDX-License-Identifier: MIT
pragma solidity 0.8.34;

import {IAdjudicator} from "../../contracts/interfaces/IAdjudicator.sol";
import {IChannel} from "../../contracts/interfaces/IChannel.sol";
import {IChannelCore} from "../../contracts/interfaces/IChannelCore.sol";
import {ICloseUnit} from "../../contracts/interfaces/ICloseUnit.sol";
import {BlacklistToken} from "../../contracts/test/mocks/BlacklistToken.sol";
import {GasBurnerReceiver} from "../../contracts/test/mocks/GasBurnerReceiver.sol";
import {AssetState, ChannelState, FinalState} from "../../contracts/types/ChannelTypes.sol";
import {ChannelFixture} from "./utils/ChannelFixture.sol";
import {ReferenceHashing} from "./utils/ReferenceHashing.sol";
import {RejectingWallet} from "../../contracts/test/mocks/RejectingWallet.sol";

contract ChannelCloseTest is ChannelFixture {
    function setUp() public override {
        super.setUp();
        _depositAliceEth(6 ether);
        _depositBobEth(4 ether);
    }

    /// @dev The latest state after alice paid bob 1 ether, with both deposits processed.
    function _latest() internal pure returns (AssetState memory) {
        return _asset(ETH, 5 ether, 5 ether, 6 ether, 4 ether, 1);
    }

    function test_closeChannel_paysBothSidesAtOnce() public {
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        FinalState memory f = _final(10, _latest());
        vm.expectEmit(address(channel));
        emit ICloseUnit.ChannelClosed(10);
        vm.expectEmit(address(channel));
        emit IAdjudicator.AssetDefunded(ETH, 5 ether, 5 ether, 1);
        vm.prank(eve); // anyone may submit
        channel.closeChannel(f, _signFinal(ALICE_KEY, f), _signFinal(BOB_KEY, f));
        assertEq(alice.balance, a0 + 5 ether, "alice paid");
        assertEq(bob.balance, b0 + 5 ether, "bob paid");
        assertEq(address(channel).balance, 0, "nothing left");
        assertEq(channel.totalPaidOut(ETH), 10 ether, "counted");
        assertEq(channel.defundNonce(ETH), 1, "defund nonce consumed");
        assertEq(channel.disputeRecord().nonce, 10, "final nonce recorded");
        _assertLedger(ETH);
    }

    function test_closeChannel_paysDepositsTheFinalStateHadNotProcessed() public {
        _depositBobEth(2 ether); // after the state was signed
        _depositAliceEth(1 ether);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        _close(_final(10, _latest()));
        assertEq(alice.balance, a0 + 6 ether, "alice: balance + unprocessed 1");
        assertEq(bob.balance, b0 + 7 ether, "bob: balance + unprocessed 2");
        assertEq(address(channel).balance, 0, "all paid");
    }

    function test_closeChannel_token_paysBothSides() public {
        _depositAliceToken(300e18);
        _depositBobToken(100e18);
        FinalState memory f;
        f.nonce = 3;
        f.assets = new AssetState[](2);
        f.assets[0] = _latest();
        f.assets[1] = _asset(address(token), 250e18, 150e18, 300e18, 100e18, 1);
        uint256 a0 = token.balanceOf(alice);
        uint256 b0 = token.balanceOf(bob);
        _close(f);
        assertEq(token.balanceOf(alice), a0 + 250e18, "alice tokens");
        assertEq(token.balanceOf(bob), b0 + 150e18, "bob tokens");
        assertEq(token.balanceOf(address(channel)), 0, "no tokens left");
        _assertLedger(address(token));
    }

    function test_closeChannel_rejectsOlderStatesAfterwards() public {
        _close(_final(10, _latest()));
        ChannelState memory old = _state(9, _latest());
        bytes memory sa = _signState(ALICE_KEY, old);
        bytes memory sb = _signState(BOB_KEY, old);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 9, 10));
        channel.disputeChannel(old, sa, sb);
        ChannelState memory same = _state(10, _latest());
        sa = _signState(ALICE_KEY, same);
        sb = _signState(BOB_KEY, same);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 10, 10));
        channel.disputeChannel(same, sa, sb);
    }

    function test_closeChannel_revertsOnReplay() public {
        FinalState memory f = _final(10, _latest());
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        channel.closeChannel(f, sa, sb);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.StaleNonce.selector, 10, 10));
        channel.closeChannel(f, sa, sb);
    }

    function test_closeChannel_revertsOnAnOrdinaryStateSignature() public {
        // A ChannelState signature (different EIP-712 type) can never close the channel.
        ChannelState memory s = _state(10, _latest());
        FinalState memory f = _final(10, _latest());
        bytes memory sa = _signState(ALICE_KEY, s);
        bytes memory sb = _signState(BOB_KEY, s);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.closeChannel(f, sa, sb);
    }

    function test_closeChannel_revertsOnTamperedBalances() public {
        FinalState memory f = _final(10, _latest());
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        f.assets[0].balanceBob = 6 ether;
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
        channel.closeChannel(f, sa, sb);
        assertEq(address(channel).balance, 10 ether, "nothing paid");
    }

    function test_closeChannel_duringAConsensusPhase_endsTheDispute() public {
        // Front-running a close with a dispute does not block it: the close is newer and ends the dispute.
        _dispute(_state(9, _latest()));
        uint256 b0 = bob.balance;
        _close(_final(10, _latest()));
        assertEq(bob.balance, b0 + 5 ether, "close paid");
        IAdjudicator.DisputeRecord memory r = channel.disputeRecord();
        assertEq(r.nonce, 10, "close nonce recorded");
        assertEq(r.consensusExpiry, 0, "dispute ended");
        vm.warp(START + 2 days);
        ChannelState memory disputed = _state(9, _latest());
        vm.expectRevert(IAdjudicator.NoDispute.selector);
        channel.defundChannel(disputed, _only(ETH));
    }

    function test_closeChannel_revertsDuringADefundPhase() public {
        _dispute(_state(9, _latest()));
        vm.warp(START + TIMEOUT + 1);
        FinalState memory f = _final(10, _latest());
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.ChannelInDefundPhase.selector, START + 2 * TIMEOUT));
        channel.closeChannel(f, sa, sb);
    }

    function test_closeChannel_revertsWhenTheAssetWasAlreadyDefunded() public {
        _dispute(_state(9, _latest()));
        vm.warp(START + TIMEOUT);
        channel.defundChannel(_state(9, _latest()), _only(ETH));
        vm.warp(START + 2 * TIMEOUT); // defund phase over
        FinalState memory f = _final(10, _latest()); // still defund nonce 1: already paid under the dispute
        bytes memory sa = _signFinal(ALICE_KEY, f);
        bytes memory sb = _signFinal(BOB_KEY, f);
        vm.expectRevert(abi.encodeWithSelector(IAdjudicator.DefundNonceNotFresh.selector, ETH, 1, 1));
        channel.closeChannel(f, sa, sb);
    }

    function test_closeChannel_receiverThatRejects_keepsItsShareAsAnExit_andTheOtherSideIsPaid() public {
        uint256 ownerKey = 0x0DD;
        RejectingWallet wallet = new RejectingWallet(vm.addr(ownerKey));
        IChannel ch = IChannel(factory.createChannel(alice, address(wallet), keccak256("rejecting")));
        vm.prank(alice);
        ch.depositAlice{value: 3 ether}(ETH, 3 ether);
        FinalState memory f = _final(1, _asset(ETH, 1 ether, 2 ether, 3 ether, 0, 1));
        bytes memory sa = signDigest(ALICE_KEY, hasher.finalStateDigest(address(ch), f));
        bytes memory sw = signDigest(ownerKey, hasher.finalStateDigest(address(ch), f));
        uint256 a0 = alice.balance;
        vm.expectEmit(address(ch));
        emit IChannelCore.ExitRecorded(ETH, address(wallet), 2 ether);
        ch.closeChannel(f, sa, sw);
        assertEq(alice.balance, a0 + 1 ether, "alice paid regardless");
        assertEq(ch.exitOf(ETH, address(wallet)), 2 ether, "wallet's share kept");
        assertEq(address(ch).balance, 2 ether, "the claim is funded");
        // The wallet's owner moves the claim to an address that accepts ETH.
        address payout = address(0xCAFE);
        vm.prank(vm.addr(ownerKey));
        wallet.execute(address(ch), abi.encodeCall(IChannelCore.withdrawExit, (ETH, address(wallet), payout, "")));
        assertEq(payout.balance, 2 ether, "claim paid");
        assertEq(address(ch).balance, 0, "empty");
        assertEq(ch.totalPaidOut(ETH), 3 ether, "all counted");
    }

    function test_closeChannel_gasBurningParty_cannotBlockTheOtherSide() public {
        // A party whose receive burns all gas: the bounded push fails, its share is kept, alice is paid.
        GasBurnerReceiver burner = new GasBurnerReceiver();
        // The burner cannot sign, so it is paid as a withdraw recipient: the same bounded push as a close payout.
        _withdraw(_withdrawCommitment(ETH, address(burner), 2 ether, 77));
        assertEq(channel.exitOf(ETH, address(burner)), 2 ether, "kept as a claim");
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        _close(_final(10, _asset(ETH, 4 ether, 4 ether, 6 ether, 4 ether, 1)));
        assertEq(alice.balance, a0 + 4 ether, "alice paid");
        assertEq(bob.balance, b0 + 4 ether, "bob paid");
        assertEq(address(channel).balance, 2 ether, "only the burner's claim remains");
    }

    function test_closeChannel_blacklistingToken_paysTheOtherSideAndKeepsTheClaim() public {
        BlacklistToken bl = new BlacklistToken();
        bl.mint(alice, 100e18);
        vm.prank(alice);
        bl.approve(address(channel), type(uint256).max);
        vm.prank(alice);
        channel.depositAlice(address(bl), 60e18);
        bl.setBlacklisted(bob, true);
        FinalState memory f;
        f.nonce = 4;
        f.assets = new AssetState[](1);
        f.assets[0] = _asset(address(bl), 40e18, 20e18, 60e18, 0, 1);
        _close(f);
        assertEq(bl.balanceOf(alice), 80e18, "alice paid");
        assertEq(channel.exitOf(address(bl), bob), 20e18, "bob's claim kept");
        // Bob lets a relayer move it to a clean address with his signature.
        address clean = address(0xC1EA);
        bytes memory sig = _signExit(BOB_KEY, address(bl), clean, 0);
        vm.prank(eve);
        channel.withdrawExit(address(bl), bob, clean, sig);
        assertEq(bl.balanceOf(clean), 20e18, "claim paid to the signed recipient");
        assertEq(channel.exitNonce(bob), 1, "exit nonce advanced");
        // The same authorization cannot be replayed.
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, bob));
        vm.prank(eve);
        channel.withdrawExit(address(bl), bob, clean, sig);
    }

    function test_withdrawExit_revertsWithoutAClaimOrAuthorization() public {
        vm.prank(bob);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.NoExit.selector, ETH, bob));
        channel.withdrawExit(ETH, bob, bob, "");
        vm.prank(eve);
        vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, bob));
        channel.withdrawExit(ETH, bob, eve, "");
    }

    function test_fundsSentAfterClose_areRecoverableWithANewerState() public {
        _close(_final(10, _latest()));
        _depositBobEth(3 ether); // bob sends more after the close
        assertEq(channel.totalDepositsBob(ETH), 7 ether, "counted as bob's deposit");
        // The channel carries on: a newer state reconciles the deposit and a second close pays it.
        uint256 b0 = bob.balance;
        _close(_final(11, _asset(ETH, 0, 3 ether, 6 ether, 7 ether, 2)));
        assertEq(bob.balance, b0 + 3 ether, "recovered");
        assertEq(address(channel).balance, 0, "empty");
        _assertLedger(ETH);
    }

    function testFuzz_closeChannel_paysExactlyWhatTheStateSays(uint96 pay) public {
        uint256 toBob = bound(pay, 0, 10 ether);
        uint256 a0 = alice.balance;
        uint256 b0 = bob.balance;
        _close(_final(5, _asset(ETH, 10 ether - toBob, toBob, 6 ether, 4 ether, 1)));
        assertEq(alice.balance - a0, 10 ether - toBob, "alice");
        assertEq(bob.balance - b0, toBob, "bob");
        assertEq(address(channel).balance, 0, "conserved");
    }

    function test_closeChannel_bindsEveryFieldOfTheFinalStateItsPartiesSigned() public {
        // Signed over the test's own EIP-712 encoding (not the contract's digest), so a field dropped from the
        // on-chain hash is caught: each changed field fails, and the signed state closes exactly.
        FinalState memory f = _final(10, _latest());
        bytes32 d = ReferenceHashing.finalStateDigest(address(channel), f);
        bytes memory sa = signDigest(ALICE_KEY, d);
        bytes memory sb = signDigest(BOB_KEY, d);
        for (uint256 k = 0; k < 7; ++k) {
            AssetState memory a = _latest();
            FinalState memory t = _final(k == 0 ? 11 : 10, a);
            if (k == 1) t.assets[0].asset = address(token);
            if (k == 2) t.assets[0].balanceAlice += 1;
            if (k == 3) t.assets[0].balanceBob += 1;
            if (k == 4) t.assets[0].processedAlice += 1;
            if (k == 5) t.assets[0].processedBob += 1;
            if (k == 6) t.assets[0].defundNonce += 1;
            vm.expectRevert(abi.encodeWithSelector(IChannelCore.InvalidSignature.selector, alice));
            channel.closeChannel(t, sa, sb);
        }
        uint256 b0 = bob.balance;
        channel.closeChannel(f, sa, sb);
        assertEq(bob.balance, b0 + 5 ether, "the signed final state pays");
        assertEq(channel.defundNonce(ETH), 1, "its defund nonce recorded");
    }
}
