# Synthetic twin of ../pri3d-unet_r50_sgd-20k_*.py: ResNet-18 UNet (16 output channels), 96x128 frames as they are.
_base_ = '../pri3d-unet_r50_sgd-20k_scannet-240x320.py'
data_root = 'data/synthetic'
frame_size = (128, 96)
model = dict(
    data_preprocessor=dict(size=(96, 128)),
    backbone=dict(depth=18, out_channels=16, init_cfg=None),
    decode_head=dict(in_channels=16, channels=16))
# The real pipelines at the frame size, without PhotoMetricDistortion
frame_resize = dict(_base_.frame_resize, scale=frame_size)
train_pipeline = [frame_resize if step.type == 'Resize' else step for step in _base_.train_pipeline
                  if step.type != 'PhotoMetricDistortion']
test_pipeline = [frame_resize if step.type == 'Resize' else step for step in _base_.test_pipeline]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(eval_size=frame_size)
test_evaluator = val_evaluator
max_iters = 20
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=max_iters, by_epoch=False)]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=5), checkpoint=dict(interval=max_iters))
env_cfg = dict(cudnn_benchmark=False)
